"""Modules of the benchmark runner (bench/run.py): processes, sshd, clients, load tools, metrics, report."""
