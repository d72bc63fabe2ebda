"""The egovops daemon: scheduled collection, audit and PKI scan over one site, serving what it
knows on ``/metrics`` (plus ``/probe``, ``/-/healthy``, ``/-/ready``) for Prometheus.

It composes the same library steps the CLI runs; :mod:`egovops.daemon.service` is the entry
point, :mod:`egovops.daemon.scheduler` runs the jobs, :mod:`egovops.daemon.http` serves.
"""
