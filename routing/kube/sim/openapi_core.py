"""OpenAPI v3 schemas of the meta and core/v1 types: the fields the simulation writes, no others.

Named and shaped as the API server publishes them (`io.k8s.api.core.v1.Node`, references as
`allOf: [{$ref}]`, `x-kubernetes-group-version-kind` on each kind) so that `kubectl explain`
walks them as it walks a real cluster's. The descriptions are this project's own words.
"""

from typing import Any

Schema = dict[str, Any]
CORE, META = "io.k8s.api.core.v1.", "io.k8s.apimachinery.pkg.apis.meta.v1."
DISCOVERY, APPS = "io.k8s.api.discovery.v1.", "io.k8s.api.apps.v1."
EVENTS, AUTHZ = "io.k8s.api.events.v1.", "io.k8s.api.authorization.v1."
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"


def string(description: str, enum: tuple[str, ...] = ()) -> Schema:
    out: Schema = {"type": "string", "description": description}
    if enum:
        out["enum"] = list(enum)
    return out


def integer(description: str, fmt: str = "int32") -> Schema:
    return {"type": "integer", "format": fmt, "description": description}


def boolean(description: str) -> Schema:
    return {"type": "boolean", "description": description}


def strings(description: str) -> Schema:
    return {"type": "array", "items": {"type": "string", "default": ""}, "description": description}


def string_map(description: str) -> Schema:
    return {
        "type": "object",
        "additionalProperties": {"type": "string", "default": ""},
        "description": description,
    }


def ref(name: str, description: str) -> Schema:
    return {"allOf": [{"$ref": f"#/components/schemas/{name}"}], "description": description}


def refs(name: str, description: str) -> Schema:
    item = {"allOf": [{"$ref": f"#/components/schemas/{name}"}], "default": {}}
    return {"type": "array", "items": item, "description": description}


def quantities(description: str) -> Schema:
    item = {"allOf": [{"$ref": f"#/components/schemas/{QUANTITY}"}]}
    return {"type": "object", "additionalProperties": item, "description": description}


def struct(description: str, required: tuple[str, ...] = (), **properties: Schema) -> Schema:
    out: Schema = {"description": description, "type": "object", "properties": properties}
    if required:
        out["required"] = list(required)
    return out


def time(description: str) -> Schema:
    return ref(META + "Time", description)


NAME = string("The object's name, unique among its kind (within its namespace).")
CREATED = time("When the object was created (UTC, RFC 3339).")

SCHEMAS: dict[str, Schema] = {
    # -- meta -----------------------------------------------------------------------------------
    META + "Time": {"type": "string", "format": "date-time", "description": "A UTC timestamp."},
    META + "MicroTime": {
        "type": "string",
        "format": "date-time",
        "description": "A UTC timestamp with microseconds.",
    },
    QUANTITY: {"type": "string", "description": "An amount such as 100m CPU or 128Mi memory."},
    INT_OR_STRING: {
        "type": "string",
        "format": "int-or-string",
        "x-kubernetes-int-or-string": True,
        "description": "A port number or the name of a port.",
    },
    META + "ObjectMeta": struct(
        "Metadata every persisted object has.",
        name=NAME,
        generateName=string("The prefix the name was generated from, if it was generated."),
        namespace=string("The namespace the object lives in; empty for cluster-wide kinds."),
        uid=string("The unique id of this object for its whole lifetime."),
        resourceVersion=string("The version of the object, for watches and optimistic writes."),
        generation=integer("The generation of the desired state.", "int64"),
        creationTimestamp=CREATED,
        deletionTimestamp=time("When the object will be deleted; set once deletion started."),
        deletionGracePeriodSeconds=integer("Seconds the object has to terminate.", "int64"),
        labels=string_map("Key/value pairs selectors match."),
        annotations=string_map("Key/value pairs for tools; not used by selectors."),
        ownerReferences=refs(META + "OwnerReference", "The objects this one belongs to."),
        finalizers=strings("Conditions to clear before the object is deleted."),
    ),
    META + "ListMeta": struct(
        "Metadata of a list.",
        resourceVersion=string("The version the list was read at; watch from it."),
        remainingItemCount=integer("Items after this page, when paginated.", "int64"),
    ),
    META + "OwnerReference": struct(
        "An object that owns this one.",
        ("apiVersion", "kind", "name", "uid"),
        apiVersion=string("API version of the owner."),
        kind=string("Kind of the owner."),
        name=string("Name of the owner."),
        uid=string("uid of the owner."),
        controller=boolean("Whether the owner is the managing controller."),
        blockOwnerDeletion=boolean("Whether the owner cannot be deleted before this object."),
    ),
    META + "LabelSelector": struct(
        "A label query; all its terms must match.",
        matchLabels=string_map("Labels that must have exactly these values."),
        matchExpressions=refs(META + "LabelSelectorRequirement", "Set-based requirements."),
    ),
    META + "LabelSelectorRequirement": struct(
        "One set-based label requirement.",
        ("key", "operator"),
        key=string("The label key."),
        operator=string("In, NotIn, Exists or DoesNotExist."),
        values=strings("The values In and NotIn compare with."),
    ),
    # -- core: nodes ----------------------------------------------------------------------------
    CORE + "NodeSpec": struct(
        "How the node is configured.",
        providerID=string("The cloud provider's id of the machine: provider://zone/instance."),
        podCIDR=string("The Pod IP range assigned to the node."),
        taints=refs(CORE + "Taint", "Taints that keep Pods off unless they tolerate them."),
        unschedulable=boolean("Whether new Pods are kept off the node (cordoned)."),
    ),
    CORE + "Taint": struct(
        "A mark that repels Pods that do not tolerate it.",
        ("key", "effect"),
        key=string("The taint key."),
        value=string("The taint value."),
        effect=string(
            "What happens to Pods that do not tolerate it.",
            ("NoExecute", "NoSchedule", "PreferNoSchedule"),
        ),
        timeAdded=time("When a NoExecute taint was added."),
    ),
    CORE + "NodeStatus": struct(
        "The node's most recently observed state.",
        capacity=quantities("Total resources of the node."),
        allocatable=quantities("Resources available to Pods: the capacity less reserved."),
        conditions=refs(CORE + "NodeCondition", "Current conditions, Ready among them."),
        addresses=refs(CORE + "NodeAddress", "The node's addresses."),
        nodeInfo=ref(CORE + "NodeSystemInfo", "Versions and ids the kubelet reports."),
    ),
    CORE + "NodeCondition": struct(
        "One condition of a node.",
        ("type", "status"),
        type=string("Type of the condition: Ready, MemoryPressure, DiskPressure, PIDPressure."),
        status=string("True, False or Unknown.", ("False", "True", "Unknown")),
        lastHeartbeatTime=time("When the kubelet last reported it."),
        lastTransitionTime=time("When the status last changed."),
        reason=string("One-word reason of the last change."),
        message=string("What the last change means."),
    ),
    CORE + "NodeAddress": struct(
        "One address of a node.",
        ("type", "address"),
        type=string(
            "Kind of address.",
            ("ExternalDNS", "ExternalIP", "Hostname", "InternalDNS", "InternalIP"),
        ),
        address=string("The address."),
    ),
    CORE + "NodeSystemInfo": struct(
        "Ids and versions of the node's software.",
        machineID=string("The machine id."),
        systemUUID=string("The system UUID."),
        bootID=string("The boot id."),
        kernelVersion=string("Kernel version (uname -r)."),
        osImage=string("Operating system image."),
        containerRuntimeVersion=string("Container runtime and its version."),
        kubeletVersion=string("Kubelet version."),
        kubeProxyVersion=string("Deprecated: kube-proxy version as the kubelet guesses it."),
        operatingSystem=string("Operating system, e.g. linux."),
        architecture=string("CPU architecture, e.g. amd64."),
    ),
}


def _core_services() -> dict[str, Schema]:
    return {
        CORE + "ServiceSpec": struct(
            "What the Service exposes and how its traffic is routed.",
            type=string(
                "How the Service is exposed.",
                ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort"),
            ),
            clusterIP=string("The virtual IP clients connect to; None for a headless Service."),
            clusterIPs=strings("The virtual IPs, one per IP family."),
            ipFamilies=strings("IP families of the Service: IPv4, IPv6."),
            ipFamilyPolicy=string(
                "Single or dual stack.", ("PreferDualStack", "RequireDualStack", "SingleStack")
            ),
            ports=refs(CORE + "ServicePort", "The ports the Service exposes."),
            selector=string_map("Pods with these labels are the Service's endpoints."),
            sessionAffinity=string("Client IP affinity.", ("ClientIP", "None")),
            externalIPs=strings("More IPs the nodes accept the Service's traffic on."),
            externalName=string("The DNS name an ExternalName Service points to."),
            externalTrafficPolicy=string(
                "Local keeps external traffic on the node it arrives at.", ("Cluster", "Local")
            ),
            internalTrafficPolicy=string(
                "Local sends a node's in-cluster traffic only to endpoints on that node.",
                ("Cluster", "Local"),
            ),
            trafficDistribution=string(
                "A preference for nearby endpoints: PreferSameZone (PreferClose), PreferSameNode. "
                "The EndpointSlice controller writes it as hints that kube-proxy follows."
            ),
            allocateLoadBalancerNodePorts=boolean("Whether a LoadBalancer gets node ports."),
            publishNotReadyAddresses=boolean("Whether unready endpoints are published too."),
        ),
        CORE + "ServicePort": struct(
            "One port of a Service.",
            ("port",),
            name=string("Name of the port; required when there are several."),
            protocol=string("TCP, UDP or SCTP.", ("SCTP", "TCP", "UDP")),
            appProtocol=string("The application protocol, e.g. http."),
            port=integer("The port the Service exposes."),
            targetPort=ref(INT_OR_STRING, "The Pods' port: a number or a container port name."),
            nodePort=integer("The port on every node, for NodePort and LoadBalancer."),
        ),
        CORE + "ServiceStatus": struct(
            "The Service's observed state.",
            loadBalancer=ref(CORE + "LoadBalancerStatus", "The load balancer, if any."),
        ),
        CORE + "LoadBalancerStatus": struct(
            "A load balancer's addresses.",
            ingress=refs(CORE + "LoadBalancerIngress", "Where the load balancer is reached."),
        ),
        CORE + "LoadBalancerIngress": struct(
            "One address of a load balancer.",
            ip=string("An IP address."),
            hostname=string("A DNS name."),
        ),
    }


def _core_pods() -> dict[str, Schema]:
    container_state = CORE + "ContainerState"
    return {
        CORE + "PodTemplateSpec": struct(
            "The Pods a controller creates.",
            metadata=ref(META + "ObjectMeta", "The Pods' metadata (their labels)."),
            spec=ref(CORE + "PodSpec", "The Pods' spec."),
        ),
        CORE + "PodSpec": struct(
            "What a Pod runs and where.",
            ("containers",),
            containers=refs(CORE + "Container", "The Pod's containers."),
            nodeName=string("The node the Pod is scheduled on."),
            nodeSelector=string_map("Labels a node must have to run the Pod."),
            restartPolicy=string("When containers restart.", ("Always", "Never", "OnFailure")),
            schedulerName=string("The scheduler that places the Pod."),
            serviceAccountName=string("The service account the Pod runs as."),
            terminationGracePeriodSeconds=integer("Seconds to stop gracefully.", "int64"),
        ),
        CORE + "Container": struct(
            "One container of a Pod.",
            ("name",),
            name=string("Name of the container, unique in the Pod."),
            image=string("The container image."),
            ports=refs(CORE + "ContainerPort", "Ports the container listens on."),
            resources=ref(CORE + "ResourceRequirements", "Requested and limited resources."),
        ),
        CORE + "ContainerPort": struct(
            "A port a container listens on.",
            ("containerPort",),
            name=string("A name Services can target."),
            containerPort=integer("The port number."),
            protocol=string("TCP, UDP or SCTP.", ("SCTP", "TCP", "UDP")),
        ),
        CORE + "ResourceRequirements": struct(
            "Resources of a container.",
            requests=quantities("What the scheduler reserves."),
            limits=quantities("The most the container may use."),
        ),
        CORE + "PodStatus": struct(
            "The Pod's observed state.",
            phase=string(
                "Where the Pod is in its life.",
                ("Failed", "Pending", "Running", "Succeeded", "Unknown"),
            ),
            conditions=refs(CORE + "PodCondition", "Current conditions, Ready among them."),
            hostIP=string("IP of the Pod's node."),
            hostIPs=refs(CORE + "HostIP", "IPs of the Pod's node."),
            podIP=string("The Pod's IP."),
            podIPs=refs(CORE + "PodIP", "The Pod's IPs, one per family."),
            nominatedNodeName=string("The node preemption nominated for the Pod."),
            reason=string("Why the Pod is in its state, e.g. Evicted."),
            startTime=time("When the kubelet accepted the Pod."),
            qosClass=string("Quality of service class.", ("BestEffort", "Burstable", "Guaranteed")),
            containerStatuses=refs(CORE + "ContainerStatus", "State of each container."),
        ),
        CORE + "PodCondition": struct(
            "One condition of a Pod.",
            ("type", "status"),
            type=string("Ready, ContainersReady, Initialized, PodScheduled, ..."),
            status=string("True, False or Unknown."),
            lastTransitionTime=time("When the status last changed."),
            reason=string("One-word reason of the last change."),
            message=string("What the last change means."),
        ),
        CORE + "PodIP": struct("An IP of a Pod.", ("ip",), ip=string("The address.")),
        CORE + "HostIP": struct("An IP of a node.", ("ip",), ip=string("The address.")),
        CORE + "ContainerStatus": struct(
            "The state of one container.",
            ("name", "ready", "restartCount", "image", "imageID"),
            name=string("Name of the container."),
            image=string("The image it runs."),
            imageID=string("The image's digest."),
            ready=boolean("Whether the container passes its readiness probe."),
            started=boolean("Whether the container has started."),
            restartCount=integer("How often the container restarted."),
            state=ref(container_state, "What the container does now."),
        ),
        container_state: struct(
            "One of running, waiting or terminated.",
            running=ref(CORE + "ContainerStateRunning", "The container runs."),
            waiting=ref(CORE + "ContainerStateWaiting", "The container waits to run."),
            terminated=ref(CORE + "ContainerStateTerminated", "The container ended."),
        ),
        CORE + "ContainerStateRunning": struct(
            "A running container.", startedAt=time("When it started.")
        ),
        CORE + "ContainerStateWaiting": struct(
            "A waiting container.",
            reason=string("Why it waits, e.g. CrashLoopBackOff."),
            message=string("More about why."),
        ),
        CORE + "ContainerStateTerminated": struct(
            "An ended container.",
            ("exitCode",),
            exitCode=integer("Its exit code."),
            signal=integer("The signal that ended it."),
            reason=string("Why it ended."),
            startedAt=time("When it started."),
            finishedAt=time("When it ended."),
        ),
    }


def _core_others() -> dict[str, Schema]:
    reference = CORE + "ObjectReference"
    return {
        CORE + "NamespaceSpec": struct(
            "How the namespace is finalized.",
            finalizers=strings("What must finish before the namespace is deleted."),
        ),
        CORE + "NamespaceStatus": struct(
            "The namespace's state.",
            phase=string("Active or Terminating.", ("Active", "Terminating")),
        ),
        reference: struct(
            "A reference to an object.",
            kind=string("Kind of the object."),
            namespace=string("Namespace of the object."),
            name=string("Name of the object."),
            uid=string("uid of the object."),
            apiVersion=string("API version of the object."),
            resourceVersion=string("The object's version the reference was made at."),
            fieldPath=string("The part of the object meant, e.g. a container."),
        ),
        CORE + "EventSource": struct(
            "The component that reported an event.",
            component=string("The reporting component, e.g. endpoint-slice-controller."),
            host=string("The node or host it runs on."),
        ),
        CORE + "EventSeries": struct(
            "A series of occurrences of one event.",
            count=integer("Occurrences so far."),
            lastObservedTime=ref(META + "MicroTime", "When the last occurrence was seen."),
        ),
        CORE + "EndpointSubset": struct(
            "Addresses that share a set of ports.",
            addresses=refs(CORE + "EndpointAddress", "Ready addresses."),
            notReadyAddresses=refs(CORE + "EndpointAddress", "Addresses not ready (yet)."),
            ports=refs(CORE + "EndpointPort", "The ports every address serves."),
        ),
        CORE + "EndpointAddress": struct(
            "One endpoint address.",
            ("ip",),
            ip=string("The IP of the endpoint."),
            hostname=string("The endpoint's hostname."),
            nodeName=string("The node the endpoint runs on."),
            targetRef=ref(reference, "The Pod behind the endpoint."),
        ),
        CORE + "EndpointPort": struct(
            "A port of the endpoints.",
            ("port",),
            name=string("Name of the port, as in the Service."),
            port=integer("The port number."),
            protocol=string("TCP, UDP or SCTP.", ("SCTP", "TCP", "UDP")),
            appProtocol=string("The application protocol."),
        ),
    }


SCHEMAS |= _core_services() | _core_pods() | _core_others()
# "continue" is a Python keyword, so not a struct() argument.
SCHEMAS[META + "ListMeta"]["properties"]["continue"] = string("Token for the next page, if any.")
