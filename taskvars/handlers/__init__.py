"""The functions connexion calls, one module per tag of the spec.

Operation targets are thin: arguments in, one unit of work, one piece of logic, a
response out. Errors are raised as :mod:`taskvars.errors` and rendered in one place.
"""
