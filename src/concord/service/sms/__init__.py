"""Taking part by SMS: numbers connected to conversations, phones known only by keyed hashes, and the
dialogue a phone holds with a conversation (join, answer, write, stop). The gateways (Kannel …) are the
front door :mod:`concord.sms`."""
