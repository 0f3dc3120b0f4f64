"""Fakes that are real servers on 127.0.0.1, used instead of mocks at the system boundary."""
