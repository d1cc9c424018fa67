-- IND-05: temporary assistance cases and amounts by month (of approval, else of
-- application) and the place the hardship arose, broken down by case_type, cause
-- and approval level (each its own `breakdown`; `all` is the total), with the
-- median days from application to approval.
with cases as (
    select
        {{ month_of('coalesce(approved_on, applied_on)') }} as month,
        {{ banner_of('region_code') }} as banner_code,
        {{ township_of('region_code') }} as township_code,
        case_type,
        cause,
        approval_level,
        amount,
        {{ dbt.datediff('applied_on', 'approved_on', 'day') }} as days_to_approval
    from {{ ref('stg_ca_temp_assistance') }}
),

long as (
    select month, banner_code, township_code, 'all' as breakdown, 'all' as breakdown_value,
           amount, days_to_approval from cases
    union all
    select month, banner_code, township_code, 'case_type', case_type, amount, days_to_approval from cases
    union all
    select month, banner_code, township_code, 'cause', cause, amount, days_to_approval from cases
    union all
    select month, banner_code, township_code, 'approval_level', approval_level, amount, days_to_approval
    from cases
),

facts as (
    {{ rollup_regions('long', ['breakdown', 'breakdown_value'],
        'count(*) as cases, sum(amount) as amount, median(days_to_approval) as median_days_to_approval') }}
),

breakdowns as (
    select 'all' as breakdown, 'all' as breakdown_value
    union all select 'case_type', unnest({{ contract_codes('ca_temp_assistance', 'case_type') }})
    union all select 'cause', unnest({{ contract_codes('ca_temp_assistance', 'cause') }})
    union all select 'approval_level', unnest({{ contract_codes('ca_temp_assistance', 'approval_level') }})
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
    cast(coalesce(facts.cases, 0) as bigint) as cases,
    cast(coalesce(facts.amount, 0) as decimal(18, 2)) as amount,
    cast(facts.median_days_to_approval as double) as median_days_to_approval
from grid
left join facts
    on facts.month = grid.month
    and facts.region_level = grid.region_level
    and facts.region_code = grid.region_code
    and facts.breakdown = grid.breakdown
    and facts.breakdown_value = grid.breakdown_value
