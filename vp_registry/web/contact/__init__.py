"""The public side of the anonymous contact channel: the counsellors page and the message form."""
