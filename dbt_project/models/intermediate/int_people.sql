-- One row per person known to any feed, resolved on id_number. Birth date and
-- gender come from the ID number itself (the one fact every feed shares); name and
-- hukou facts from ps_hukou, else the civil-affairs member roll.
with ids as (
    select distinct id_number
    from {{ ref('int_person_sightings') }}
),

hukou as (
    select * from {{ ref('stg_ps_hukou') }}
),

member_names as (
    select
        id_number,
        arg_max(name, _extract_date) as name
    from {{ ref('stg_ca_members') }}
    group by id_number
),

deaths as (
    select * from {{ ref('int_deaths') }}
)

select
    ids.id_number,
    coalesce(hukou.name, member_names.name) as name,
    coalesce(hukou.gender, {{ gender_of('ids.id_number') }}) as gender,
    {{ birth_date_of('ids.id_number') }} as birth_date,
    hukou.hukou_no,
    hukou.region_code as hukou_region_code,
    hukou.hukou_status,
    deaths.death_date
from ids
left join hukou on hukou.id_number = ids.id_number
left join member_names on member_names.id_number = ids.id_number
left join deaths on deaths.id_number = ids.id_number
