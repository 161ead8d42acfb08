"""Participatory budgets: the money, the projects and the ballots, the outcome decided by equal shares, and
budgets in and out as pabulib files."""
