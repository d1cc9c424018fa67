-- The months the indicators report: `indicator_months` calendar months up to and
-- including as_of's month, plus the one before (for month-on-month changes). Each
-- month is read as the state on its `snapshot_date`: its last day, or as_of for the
-- current month.
with bounds as (
    select
        {{ month_of(as_of()) }} as last_month,
        {{ var('indicator_months') }} as months_in_range
),

offsets as (
    select cast(range as integer) as month_offset
    from range(0, {{ var('indicator_months') }} + 1)
),

months as (
    select
        {{ add_months('bounds.last_month', '-offsets.month_offset') }} as month,
        offsets.month_offset < bounds.months_in_range as in_range
    from offsets
    cross join bounds
)

select
    month,
    least({{ month_end('month') }}, {{ as_of() }}) as snapshot_date,
    in_range
from months
