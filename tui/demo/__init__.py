"""The sandbox behind ``onduty demo``: a degrading HTTP service, Express-style logs and a
throwaway PostgreSQL cluster with a workload, run in a child process the console can
always clean up.
"""
