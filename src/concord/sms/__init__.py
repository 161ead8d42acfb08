"""The SMS front door: phones take part through an SMS gateway. A gateway adapter (Kannel: ``kannel.py``)
reads the gateway's requests into :class:`~concord.sms.gateway.IncomingSms` records and renders replies;
the dialogue itself is the use case :mod:`concord.service.sms.dialogue`; ``texts.py`` words its replies
in the phone's language and ``messages.py`` fits them in SMS messages."""
