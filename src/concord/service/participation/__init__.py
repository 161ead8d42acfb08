"""Taking part: joining a conversation, declaring answers (published only where enough people share them), and
votes, stored in batches by the vote intake."""
