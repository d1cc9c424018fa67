-- One row per person known to any feed: identity, hukou household and region,
-- death, disability, and a flag for each roll the person is on at as_of.
with people as (
    select * from {{ ref('int_people') }}
),

assisted_types as (
    select
        id_number,
        bool_or(assistance_type = 'dibao') as on_dibao,
        bool_or(assistance_type = 'tekun') as on_tekun,
        bool_or(assistance_type = 'edge') as on_edge,
        bool_or(assistance_type = 'rigid_expense') as on_rigid_expense,
        bool_or(assistance_type = 'other_low_income') as on_other_low_income
    from {{ ref('int_household_members') }}
    where is_assisted
    group by id_number
),

household as (
    select * from {{ ref('int_person_household') }}
),

assisted_place as (
    select household_id, region_code from {{ ref('int_households') }}
),

rural_monitoring as (
    select distinct head_id_number as id_number
    from {{ ref('stg_rr_monitoring') }}
    where not coalesce(risk_cleared, false)
),

students as (
    select id_number
    from {{ ref('stg_edu_students') }}
    where status = 'enrolled'
),

employment as (
    select id_number, employment_status
    from {{ ref('stg_hrss_employment') }}
),

disability as (
    select id_number, category, grade, valid_until
    from {{ ref('stg_dpf_disability') }}
),

placed as (
    select
        people.*,
        coalesce(people.hukou_region_code, assisted_place.region_code) as region_code,
        household.household_id
    from people
    left join household on household.id_number = people.id_number
    left join assisted_place on assisted_place.household_id = household.household_id
)

select
    placed.id_number,
    placed.name,
    placed.gender,
    placed.birth_date,
    cast({{ age_on('placed.birth_date', as_of()) }} as integer) as age,
    placed.hukou_no,
    placed.hukou_status,
    placed.region_code,
    {{ banner_of('placed.region_code') }} as banner_code,
    {{ township_of('placed.region_code') }} as township_code,
    placed.death_date,
    placed.death_date is not null as is_deceased,
    disability.category as disability_category,
    disability.grade as disability_grade,
    placed.household_id as assisted_household_id,
    coalesce(assisted_types.on_dibao, false) as on_dibao,
    coalesce(assisted_types.on_tekun, false) as on_tekun,
    coalesce(assisted_types.on_edge, false) as on_edge,
    coalesce(assisted_types.on_rigid_expense, false) as on_rigid_expense,
    coalesce(assisted_types.on_other_low_income, false) as on_other_low_income,
    rural_monitoring.id_number is not null as on_rural_monitoring,
    students.id_number is not null as is_student,
    coalesce(employment.employment_status = 'unemployed', false) as is_unemployed,
    disability.id_number is not null
        and coalesce(disability.valid_until >= {{ as_of() }}, true) as has_disability_certificate
from placed
left join assisted_types on assisted_types.id_number = placed.id_number
left join rural_monitoring on rural_monitoring.id_number = placed.id_number
left join students on students.id_number = placed.id_number
left join employment on employment.id_number = placed.id_number
left join disability on disability.id_number = placed.id_number
