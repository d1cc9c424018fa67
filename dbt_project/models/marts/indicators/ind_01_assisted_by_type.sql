-- IND-01: assisted households and persons by type per month, region and
-- urban/rural. roll_type is the fine type (dibao_A, dibao_B, tekun_centralized,
-- tekun_dispersed, edge, rigid_expense, other_low_income); `dibao` and `tekun` are
-- their subtotals, `gradual_exit` the households in gradual exit (also counted
-- under their type), `all` every assisted household once. Persons are the members
-- on the roll; for tekun, whose support is per person, the covered members.
with roll as (
    select
        month,
        banner_code,
        township_code,
        urban_rural,
        roll_type,
        assistance_type,
        status,
        household_id,
        case when assistance_type = 'tekun' then covered_member_count else member_count end as persons
    from {{ ref('int_monthly_roll') }}
    where is_assisted
),

categories as (
    select month, banner_code, township_code, urban_rural, roll_type, household_id, persons from roll
    union all
    select month, banner_code, township_code, urban_rural, assistance_type, household_id, persons
    from roll
    where assistance_type in ('dibao', 'tekun')
    union all
    select month, banner_code, township_code, urban_rural, 'gradual_exit', household_id, persons
    from roll
    where status = 'gradual_exit'
    union all
    select month, banner_code, township_code, urban_rural, 'all', household_id, persons from roll
),

by_kind as (
    {{ with_total('categories', 'urban_rural') }}
),

facts as (
    {{ rollup_regions('by_kind', ['urban_rural', 'roll_type'],
        'count(*) as households, sum(persons) as persons') }}
),

grid as (
    {{ indicator_grid(
        "select * from (" ~ values_of('urban_rural', ['all', 'urban', 'rural']) ~ ") "
        ~ "cross join (" ~ values_of('roll_type', ['all', 'dibao', 'dibao_A', 'dibao_B', 'tekun',
            'tekun_centralized', 'tekun_dispersed', 'edge', 'rigid_expense', 'other_low_income',
            'gradual_exit']) ~ ")") }}
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
