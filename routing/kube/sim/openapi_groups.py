"""OpenAPI v3 schemas of the named groups' types: discovery, apps, events and authorization."""

from .openapi_core import (
    APPS,
    AUTHZ,
    CORE,
    DISCOVERY,
    EVENTS,
    META,
    Schema,
    boolean,
    integer,
    ref,
    refs,
    string,
    strings,
    struct,
)

SELECTOR = ref(META + "LabelSelector", "The Pods it manages: must match the template's labels.")
TEMPLATE = ref(CORE + "PodTemplateSpec", "The Pods it creates.")
HISTORY = integer("Old revisions kept for rollback.")


def _discovery() -> dict[str, Schema]:
    return {
        DISCOVERY + "Endpoint": struct(
            "One endpoint of a Service: a Pod's address and whether it takes traffic.",
            ("addresses",),
            addresses=strings("The endpoint's addresses (one, in practice)."),
            conditions=ref(DISCOVERY + "EndpointConditions", "Whether it takes traffic."),
            hostname=string("The endpoint's hostname."),
            targetRef=ref(CORE + "ObjectReference", "The Pod behind the endpoint."),
            nodeName=string("The node the endpoint runs on."),
            zone=string("The zone the endpoint runs in (its node's zone label)."),
            hints=ref(
                DISCOVERY + "EndpointHints",
                "Where kube-proxy should use the endpoint from, written by the EndpointSlice "
                "controller for Topology Aware Routing and trafficDistribution.",
            ),
        ),
        DISCOVERY + "EndpointConditions": struct(
            "The endpoint's state.",
            ready=boolean("Serving and not terminating: new connections go to it."),
            serving=boolean("Its Pod passes its readiness probe, terminating or not."),
            terminating=boolean("Its Pod is being deleted."),
        ),
        DISCOVERY + "EndpointHints": struct(
            "Where the endpoint should be used from. kube-proxy ignores the hints of a Service "
            "if any of its ready endpoints lacks them.",
            forZones=refs(DISCOVERY + "ForZone", "Zones whose nodes should use the endpoint."),
            forNodes=refs(DISCOVERY + "ForNode", "Nodes that should use the endpoint."),
        ),
        DISCOVERY + "ForZone": struct(
            "A zone an endpoint is meant for.", ("name",), name=string("The zone's name.")
        ),
        DISCOVERY + "ForNode": struct(
            "A node an endpoint is meant for.", ("name",), name=string("The node's name.")
        ),
        DISCOVERY + "EndpointPort": struct(
            "A port of the endpoints.",
            name=string("Name of the port, as in the Service."),
            protocol=string("TCP, UDP or SCTP.", ("SCTP", "TCP", "UDP")),
            port=integer("The port number."),
            appProtocol=string("The application protocol."),
        ),
    }


def _apps() -> dict[str, Schema]:
    return {
        APPS + "DeploymentSpec": struct(
            "The Pods a Deployment keeps running and how it rolls them out.",
            ("selector", "template"),
            replicas=integer("Desired number of Pods."),
            selector=SELECTOR,
            template=TEMPLATE,
            strategy=ref(APPS + "DeploymentStrategy", "How old Pods are replaced."),
            revisionHistoryLimit=HISTORY,
            progressDeadlineSeconds=integer("Seconds before a stuck rollout is reported."),
        ),
        APPS + "DeploymentStrategy": struct(
            "How a Deployment replaces its Pods.",
            type=string("RollingUpdate or Recreate.", ("Recreate", "RollingUpdate")),
            rollingUpdate=ref(APPS + "RollingUpdateDeployment", "The rolling update's pace."),
        ),
        APPS + "RollingUpdateDeployment": struct(
            "The pace of a rolling update.",
            maxUnavailable=ref(
                "io.k8s.apimachinery.pkg.util.intstr.IntOrString", "Pods that may be down."
            ),
            maxSurge=ref("io.k8s.apimachinery.pkg.util.intstr.IntOrString", "Extra Pods allowed."),
        ),
        APPS + "DeploymentStatus": struct(
            "The Deployment's observed state.",
            observedGeneration=integer("The generation last acted on.", "int64"),
            replicas=integer("Pods that exist."),
            updatedReplicas=integer("Pods of the current template."),
            readyReplicas=integer("Ready Pods."),
            availableReplicas=integer("Available Pods."),
            unavailableReplicas=integer("Pods still needed to reach the desired number."),
        ),
        APPS + "ReplicaSetSpec": struct(
            "The Pods of one revision of a Deployment.",
            ("selector",),
            replicas=integer("Desired number of Pods."),
            selector=SELECTOR,
            template=TEMPLATE,
        ),
        APPS + "ReplicaSetStatus": struct(
            "The ReplicaSet's observed state.",
            ("replicas",),
            replicas=integer("Pods that exist."),
            fullyLabeledReplicas=integer("Pods whose labels match the template's."),
            readyReplicas=integer("Ready Pods."),
            availableReplicas=integer("Available Pods."),
            observedGeneration=integer("The generation last acted on.", "int64"),
        ),
        APPS + "DaemonSetSpec": struct(
            "A Pod on every eligible node.",
            ("selector", "template"),
            selector=SELECTOR,
            template=TEMPLATE,
            updateStrategy=ref(APPS + "DaemonSetUpdateStrategy", "How Pods are replaced."),
            revisionHistoryLimit=HISTORY,
        ),
        APPS + "DaemonSetUpdateStrategy": struct(
            "How a DaemonSet replaces its Pods.",
            type=string("RollingUpdate or OnDelete.", ("OnDelete", "RollingUpdate")),
            rollingUpdate=ref(APPS + "RollingUpdateDaemonSet", "The rolling update's pace."),
        ),
        APPS + "RollingUpdateDaemonSet": struct(
            "The pace of a DaemonSet's rolling update.",
            maxUnavailable=ref(
                "io.k8s.apimachinery.pkg.util.intstr.IntOrString", "Nodes whose Pod may be down."
            ),
            maxSurge=ref(
                "io.k8s.apimachinery.pkg.util.intstr.IntOrString", "Nodes with an extra Pod."
            ),
        ),
        APPS + "DaemonSetStatus": struct(
            "The DaemonSet's observed state.",
            ("currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled"),
            currentNumberScheduled=integer("Nodes running its Pod."),
            numberMisscheduled=integer("Nodes running its Pod that should not."),
            desiredNumberScheduled=integer("Nodes that should run its Pod."),
            numberReady=integer("Nodes whose Pod is ready."),
            observedGeneration=integer("The generation last acted on.", "int64"),
            updatedNumberScheduled=integer("Nodes running the current template."),
            numberAvailable=integer("Nodes whose Pod is available."),
            numberUnavailable=integer("Nodes whose Pod is missing or not available."),
        ),
        APPS + "StatefulSetSpec": struct(
            "Pods with stable names and storage.",
            ("selector", "template"),
            replicas=integer("Desired number of Pods."),
            selector=SELECTOR,
            template=TEMPLATE,
            serviceName=string("The headless Service that names its Pods."),
        ),
        APPS + "StatefulSetStatus": struct(
            "The StatefulSet's observed state.",
            ("replicas",),
            replicas=integer("Pods that exist."),
            readyReplicas=integer("Ready Pods."),
        ),
    }


def _events() -> dict[str, Schema]:
    return {
        EVENTS + "EventSeries": struct(
            "A series of occurrences of one event.",
            ("count", "lastObservedTime"),
            count=integer("Occurrences so far."),
            lastObservedTime=ref(META + "MicroTime", "When the last occurrence was seen."),
        ),
    }


def _authorization() -> dict[str, Schema]:
    return {
        AUTHZ + "SelfSubjectAccessReviewSpec": struct(
            "The action to check; exactly one of the two attributes.",
            resourceAttributes=ref(AUTHZ + "ResourceAttributes", "An action on a resource."),
            nonResourceAttributes=ref(AUTHZ + "NonResourceAttributes", "A GET of a URL path."),
        ),
        AUTHZ + "ResourceAttributes": struct(
            "An action on a resource.",
            namespace=string("The namespace; empty for all namespaces or cluster-wide kinds."),
            verb=string("get, list, watch, create, update, patch, delete, ... or *."),
            group=string("The API group; empty for the core group."),
            version=string("The API version."),
            resource=string("The resource, e.g. pods."),
            subresource=string("A subresource, e.g. log."),
            name=string("A single object's name; empty for all."),
        ),
        AUTHZ + "NonResourceAttributes": struct(
            "An action on a URL path.",
            path=string("The URL path."),
            verb=string("The HTTP verb, lower case."),
        ),
        AUTHZ + "SubjectAccessReviewStatus": struct(
            "The decision.",
            ("allowed",),
            allowed=boolean("Whether the action is allowed."),
            denied=boolean("Whether the action is explicitly denied."),
            reason=string("Why, when there is something to say."),
            evaluationError=string("What went wrong deciding, if anything."),
        ),
        AUTHZ + "SelfSubjectRulesReviewSpec": struct(
            "The namespace to list rules for.", namespace=string("The namespace.")
        ),
        AUTHZ + "SubjectRulesReviewStatus": struct(
            "What the subject may do.",
            ("resourceRules", "nonResourceRules", "incomplete"),
            resourceRules=refs(AUTHZ + "ResourceRule", "Allowed actions on resources."),
            nonResourceRules=refs(AUTHZ + "NonResourceRule", "Allowed actions on URL paths."),
            incomplete=boolean("Whether the rules may be missing some."),
            evaluationError=string("What went wrong listing, if anything."),
        ),
        AUTHZ + "ResourceRule": struct(
            "Allowed verbs on resources.",
            ("verbs",),
            verbs=strings("The verbs."),
            apiGroups=strings("The API groups; * for all."),
            resources=strings("The resources; * for all."),
            resourceNames=strings("The objects' names; empty for all."),
        ),
        AUTHZ + "NonResourceRule": struct(
            "Allowed verbs on URL paths.",
            ("verbs",),
            verbs=strings("The verbs."),
            nonResourceURLs=strings("The paths; * for all."),
        ),
    }


GROUP_SCHEMAS: dict[str, Schema] = _discovery() | _apps() | _events() | _authorization()
