-- Members (ca_members) of the households in int_households, with age at as_of and
-- the household facts the rules filter on, so a rule needs no further join.
with members as (
    select * from {{ ref('stg_ca_members') }}
),

households as (
    select * from {{ ref('int_households') }}
),

with_birth as (
    select
        members.*,
        {{ birth_date_of('members.id_number') }} as birth_date
    from members
)

select
    with_birth.household_id,
    with_birth.id_number,
    with_birth.name,
    with_birth.relation,
    with_birth.covered,
    with_birth.labor_capacity,
    with_birth.self_care,
    with_birth.monthly_income,
    with_birth.birth_date,
    {{ age_on('with_birth.birth_date', as_of()) }} as age,
    households.head_id_number,
    households.assistance_type,
    households.status,
    households.urban_rural,
    households.dibao_class,
    households.tekun_support_mode,
    households.single_person,
    households.region_code,
    households.banner_code,
    households.township_code,
    households.member_count,
    households.is_assisted
from with_birth
inner join households on households.household_id = with_birth.household_id
