-- IND-11: rural monitoring (防止返贫) households with an open risk, by category and
-- risk type (each its own `breakdown`), per month as the rr_monitoring delivery in
-- force stated them, and how many of them have their head in an assisted
-- civil-affairs household that month.
with month_extracts as (
    {{ snapshot_extract_by_month('rr_monitoring') }}
),

monitored as (
    select distinct
        month_extracts.month,
        raw.rr_household_id,
        raw.head_id_number,
        {{ banner_of('raw.region_code') }} as banner_code,
        {{ township_of('raw.region_code') }} as township_code,
        raw.category,
        raw.risk_type
    from month_extracts
    inner join {{ source('raw', 'rr_monitoring') }} as raw on raw._extract_date = month_extracts.extract_date
    where not coalesce(raw.risk_cleared, false)
),

covered as (
    select distinct month, id_number from {{ ref('int_monthly_roll_members') }}
),

flagged as (
    select
        monitored.*,
        covered.id_number is not null as also_assisted
    from monitored
    left join covered on covered.month = monitored.month and covered.id_number = monitored.head_id_number
),

long as (
    select month, banner_code, township_code, 'all' as breakdown, 'all' as breakdown_value,
           rr_household_id, also_assisted from flagged
    union all
    select month, banner_code, township_code, 'category', category, rr_household_id, also_assisted from flagged
    union all
    select month, banner_code, township_code, 'risk_type', risk_type, rr_household_id, also_assisted
    from flagged
),

facts as (
    {{ rollup_regions('long', ['breakdown', 'breakdown_value'],
        'count(distinct rr_household_id) as monitored_households, '
        ~ 'count(distinct rr_household_id) filter (where also_assisted) as also_assisted_households') }}
),

breakdowns as (
    select 'all' as breakdown, 'all' as breakdown_value
    union all select 'category', unnest({{ contract_codes('rr_monitoring', 'category') }})
    union all select 'risk_type', unnest({{ contract_codes('rr_monitoring', 'risk_type') }})
),

grid as (
    {{ indicator_grid('select * from breakdowns') }}
)

select
    grid.month,
    grid.region_level,
    grid.region_code,
    grid.region_name,
    grid.breakdown,
    grid.breakdown_value,
    cast(coalesce(facts.monitored_households, 0) as bigint) as monitored_households,
    cast(coalesce(facts.also_assisted_households, 0) as bigint) as also_assisted_households
from grid
left join facts
    on facts.month = grid.month
    and facts.region_level = grid.region_level
    and facts.region_code = grid.region_code
    and facts.breakdown = grid.breakdown
    and facts.breakdown_value = grid.breakdown_value
