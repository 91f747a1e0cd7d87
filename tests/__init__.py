"""The test suite: real databases, a real SMTP server on loopback and headless Chromium."""
