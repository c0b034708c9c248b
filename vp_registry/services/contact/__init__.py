"""The anonymous contact channel and the public counsellors page (issue 6).

One module per job: :mod:`.sealing` (how threads and posts are encrypted), :mod:`.channel`
(a sender's first message), :mod:`.receipts` (what a receipt code opens), :mod:`.threads`
(the counsellor's inbox), :mod:`.conversion` (a conversation becomes a case),
:mod:`.erasure` (delete and retention), :mod:`.counsellors` (the public entries) and
:mod:`.public_text` (the page's general text). How the channel is protected:
docs/anonymous-contact.md.
"""
