"""Participatory budgets: the money, the projects and the ballots, the outcome decided by equal shares, and
budgets in and out as pabulib files.

Its modules, each importing only some of those listed before it (no cycle): money (exact amounts),
settings (a budget's settings and a project's fields, declared once), lookups (finding a budget, its
projects and ballots; where its voting stands), records (what the use cases hand up), views (a budget
as its page shows it), outcomes (decided, stored, served), budgets (making, changing, opening and
closing one: closing publishes its outcome), projects, ballots, split (a budget shared among the spaces
below), files (pabulib in and out)."""
