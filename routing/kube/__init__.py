"""Everything that talks to a Kubernetes API: the live client side and the simulated cluster."""
