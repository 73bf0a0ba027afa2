"""Faults: Redis stopped, a worker killed, the database dropped, a gateway down."""
