-- One row describing this build: the as_of it was computed for and the months the
-- indicator tables cover. Readers (exports, docs, analysts) ask it instead of
-- guessing from the data.
select
    {{ as_of() }} as as_of,
    min(month) as first_indicator_month,
    max(month) as last_indicator_month,
    cast(count(*) as integer) as indicator_months
from {{ ref('int_month_spine') }}
where in_range
