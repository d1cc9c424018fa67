{#- Where a person "lives" for the hardship and coverage warnings: the assisted
    household they belong to (the lowest household_id when a person is, wrongly,
    in several: ELG-08 reports that), else their hukou household; with the region
    of that household and whether the person is deceased on as_of.

    Why one model: every person-level rule of this group needs the same answer to
    "which household and which place does this warning go to", and
    household_priority rolls person warnings up along the same path. A helper, not a
    mart: it lives in the intermediate schema. -#}
{{ config(schema='intermediate', materialized='table') }}

with assisted_memberships as (
    select
        members.id_number,
        members.household_id,
        members.region_code,
        row_number() over (partition by members.id_number order by members.household_id) as membership_rank
    from {{ ref('int_household_members') }} as members
    where members.is_assisted
),

assisted_home as (
    select id_number, household_id, region_code
    from assisted_memberships
    where membership_rank = 1
),

people as (
    select id_number, hukou_no, hukou_region_code
    from {{ ref('int_people') }}
),

deceased as (
    select id_number, death_date
    from {{ ref('int_deaths') }}
    where death_date <= {{ as_of() }}
),

known_people as (
    select id_number from assisted_home
    union
    select id_number from people
)

select
    known_people.id_number,
    assisted_home.household_id as assisted_household_id,
    people.hukou_no,
    coalesce(assisted_home.region_code, people.hukou_region_code) as region_code,
    deceased.death_date is not null as is_deceased
from known_people
left join assisted_home on known_people.id_number = assisted_home.id_number
left join people on known_people.id_number = people.id_number
left join deceased on known_people.id_number = deceased.id_number
