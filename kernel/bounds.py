"""The largest whole numbers the database's integer columns can hold.

Every integer a person or a client sends (quantities, counts, ids) is checked against
these before it reaches a query, so an oversized number is a 4xx naming the field, never
an overflow inside PostgreSQL (a 500).
"""

INTEGER_MAX = 2**31 - 1  # IntegerField, PositiveIntegerField
BIG_INTEGER_MAX = 2**63 - 1  # BigIntegerField, BigAutoField primary keys
