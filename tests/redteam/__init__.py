"""Adversarial submissions for the red-team test of ``course grade`` (tests/test_redteam.py)."""
