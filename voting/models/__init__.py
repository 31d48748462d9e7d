"""Persistent models. Importing this package registers every table.

Models only persist data; the rules live in :mod:`voting.services`.
"""
