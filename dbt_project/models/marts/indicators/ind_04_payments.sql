-- IND-04: money paid by program per pay month and region, and the average monthly
-- dibao per person (dibao paid / persons in assisted dibao households that month).
-- A payment is placed where its household lived in its newest delivery; payments
-- whose household is unknown count in the league total only.
with household_places as (
    select
        household_id,
        arg_max(banner_code, extract_date) as banner_code,
        arg_max(township_code, extract_date) as township_code,
        arg_max(urban_rural, extract_date) as urban_rural
    from {{ ref('int_household_deliveries') }}
    group by household_id
),

payments as (
    select
        payments.pay_month as month,
        places.banner_code,
        places.township_code,
        places.urban_rural,
        payments.program,
        payments.amount,
        payments.id_number
    from {{ ref('stg_ca_payments') }} as payments
    left join household_places as places on places.household_id = payments.household_id
),

by_kind as (
    {{ with_total('payments', 'urban_rural') }}
),

by_program as (
    {{ with_total('by_kind', 'program') }}
),

facts as (
    {{ rollup_regions('by_program', ['urban_rural', 'program'],
        'count(*) as payments, sum(amount) as amount_paid, count(distinct id_number) as recipients') }}
),

dibao_members as (
    select month, banner_code, township_code, urban_rural, id_number
    from {{ ref('int_monthly_roll_members') }}
    where assistance_type = 'dibao'
),

dibao_by_kind as (
    {{ with_total('dibao_members', 'urban_rural') }}
),

dibao_persons as (
    {{ rollup_regions('dibao_by_kind', ['urban_rural'], 'count(distinct id_number) as dibao_persons') }}
),

programs as (
    {{ values_of('program', ['all', 'dibao', 'tekun_basic', 'tekun_care', 'price_subsidy', 'heating',
        'disability_living', 'disability_care', 'orphan', 'unsupported_child']) }}
),

grid as (
    {{ indicator_grid("select * from (" ~ values_of('urban_rural', ['all', 'urban', 'rural'])
        ~ ") cross join programs") }}
)

select
    grid.month,
    grid.region_level,
    grid.region_code,
    grid.region_name,
    grid.urban_rural,
    grid.program,
    cast(coalesce(facts.payments, 0) as bigint) as payments,
    cast(coalesce(facts.amount_paid, 0) as decimal(18, 2)) as amount_paid,
    cast(coalesce(facts.recipients, 0) as bigint) as recipients,
    cast(case when grid.program = 'dibao' then coalesce(dibao_persons.dibao_persons, 0) end as bigint)
        as dibao_persons,
    cast(
        case when grid.program = 'dibao' and coalesce(dibao_persons.dibao_persons, 0) > 0
            then coalesce(facts.amount_paid, 0) / dibao_persons.dibao_persons
        end as decimal(14, 2)
    ) as avg_dibao_per_person
from grid
left join facts
    on facts.month = grid.month
    and facts.region_level = grid.region_level
    and facts.region_code = grid.region_code
    and facts.urban_rural = grid.urban_rural
    and facts.program = grid.program
left join dibao_persons
    on dibao_persons.month = grid.month
    and dibao_persons.region_level = grid.region_level
    and dibao_persons.region_code = grid.region_code
    and dibao_persons.urban_rural = grid.urban_rural
