-- IND-01: assisted households and persons by type (dibao A/B, tekun centralized /
-- dispersed, edge, rigid_expense, other_low_income, gradual_exit) per month,
-- region and urban/rural. A household in gradual exit counts as gradual_exit.
with roll as (
    select month, banner_code, township_code, urban_rural, roll_type, household_id, member_count
    from {{ ref('int_monthly_roll') }}
    where is_assisted
),

by_kind as (
    {{ with_total('roll', 'urban_rural') }}
),

by_type as (
    {{ with_total('by_kind', 'roll_type') }}
),

facts as (
    {{ rollup_regions('by_type', ['urban_rural', 'roll_type'],
        'count(*) as households, sum(member_count) as persons') }}
),

grid as (
    {{ indicator_grid(
        "select * from (" ~ values_of('urban_rural', ['all', 'urban', 'rural']) ~ ") "
        ~ "cross join (" ~ values_of('roll_type', ['all', 'dibao_A', 'dibao_B', 'tekun_centralized',
            'tekun_dispersed', 'edge', 'rigid_expense', 'other_low_income', 'gradual_exit']) ~ ")") }}
)

select
    grid.month,
    grid.region_level,
    grid.region_code,
    grid.region_name,
    grid.urban_rural,
    grid.roll_type,
    cast(coalesce(facts.households, 0) as bigint) as households,
    cast(coalesce(facts.persons, 0) as bigint) as persons
from grid
left join facts
    on facts.month = grid.month
    and facts.region_level = grid.region_level
    and facts.region_code = grid.region_code
    and facts.urban_rural = grid.urban_rural
    and facts.roll_type = grid.roll_type
