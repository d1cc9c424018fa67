-- The assisted household a person belongs to now (newest roll): an assisted one
-- first, then any; used to place aid records and people on a household.
with ranked as (
    select
        id_number,
        household_id,
        assistance_type,
        is_assisted,
        row_number() over (
            partition by id_number
            order by is_assisted desc, household_id
        ) as preference
    from {{ ref('int_household_members') }}
)

select
    id_number,
    household_id,
    assistance_type,
    is_assisted
from ranked
where preference = 1
