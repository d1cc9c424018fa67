-- The warehouse has exactly one salt: none would null every warning_key, two would make
-- the scalar subquery in warnings_this_run fail or, worse, change keys between runs.
select count(*) as salts
from {{ ref('warning_key_salt') }}
having count(*) <> 1
