"""The counsellor's side of the anonymous contact channel: messages and the public profile."""
