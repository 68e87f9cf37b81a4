"""Tests of routing.kube: the live client side and the simulated cluster."""
