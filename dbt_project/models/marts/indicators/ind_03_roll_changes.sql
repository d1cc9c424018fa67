-- IND-03: households that joined (新增) and left (退出) the assisted roll in the
-- month, compared with the month before, and the net change. A household that
-- joins is placed where it lives now; one that leaves, where it lived before.
with months as (
    select
        month,
        {{ add_months('month', -1) }} as previous_month
    from {{ ref('int_month_spine') }}
    where in_range
),

assisted as (
    select month, household_id, banner_code, township_code, urban_rural
    from {{ ref('int_monthly_roll') }}
    where is_assisted
),

joined as (
    select
        months.month,
        now_on.banner_code,
        now_on.township_code,
        now_on.urban_rural,
        now_on.household_id,
        'joined' as movement
    from months
    inner join assisted as now_on on now_on.month = months.month
    left join assisted as before
        on before.month = months.previous_month
        and before.household_id = now_on.household_id
    where before.household_id is null
),

exited as (
    select
        months.month,
        before.banner_code,
        before.township_code,
        before.urban_rural,
        before.household_id,
        'exited' as movement
    from months
    inner join assisted as before on before.month = months.previous_month
    left join assisted as now_on
        on now_on.month = months.month
        and now_on.household_id = before.household_id
    where now_on.household_id is null
),

movements as (
    select * from joined
    union all
    select * from exited
),

by_kind as (
    {{ with_total('movements', 'urban_rural') }}
),

facts as (
    {{ rollup_regions('by_kind', ['urban_rural'],
        "count(*) filter (where movement = 'joined') as new_households, "
        ~ "count(*) filter (where movement = 'exited') as exited_households") }}
),

grid as (
    {{ indicator_grid(values_of('urban_rural', ['all', 'urban', 'rural'])) }}
)

select
    grid.month,
    grid.region_level,
    grid.region_code,
    grid.region_name,
    grid.urban_rural,
    cast(coalesce(facts.new_households, 0) as bigint) as new_households,
    cast(coalesce(facts.exited_households, 0) as bigint) as exited_households,
    cast(coalesce(facts.new_households, 0) - coalesce(facts.exited_households, 0) as bigint) as net_change
from grid
left join facts
    on facts.month = grid.month
    and facts.region_level = grid.region_level
    and facts.region_code = grid.region_code
    and facts.urban_rural = grid.urban_rural
