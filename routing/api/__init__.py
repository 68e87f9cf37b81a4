"""The REST API (/api/v1/): DRF views, serializers, auth, roles and the one error shape."""
