"""Reusable test doubles: a local feed server, a stub resolver and a loopback dialer.

Fakes are code, not mocks: tests talk real HTTP to servers on 127.0.0.1.
"""
