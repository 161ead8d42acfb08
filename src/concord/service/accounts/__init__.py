"""Who acts: moderator accounts and their logins (slowed, never locked), the tokens that stand for people,
invitation codes, and external ids vouched for by an embedding site."""
