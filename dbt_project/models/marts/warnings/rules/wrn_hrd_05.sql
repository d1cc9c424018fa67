{#- HRD-05 零就业家庭 (§11): a hukou household (persons of ps_hukou with status
    normal sharing hukou_no) with at least one living member aged `working_age_min`
    to `working_age_max` (inclusive) registered `unemployed`, and no living member
    of that age `employed` or `flexible`. The subject is the hukou household; the
    id_number its head; household_id the head's assisted household, else any
    member's. -#}
{{ config(tags=['warning_rule']) }}

with working_age as (
    select
        hukou.hukou_no,
        hukou.id_number,
        employment.employment_status
    from {{ ref('int_hukou_members') }} as hukou
    left join {{ ref('stg_hrss_employment') }} as employment on hukou.id_number = employment.id_number
    left join {{ ref('wrn_helper_person_home') }} as home on hukou.id_number = home.id_number
    where hukou.age >= {{ rule_param('working_age_min') }}
      and hukou.age <= {{ rule_param('working_age_max') }}
      and not coalesce(home.is_deceased, false)
),

employment_by_household as (
    select
        hukou_no,
        count(*) as working_age_members,
        count(*) filter (where employment_status = 'unemployed') as unemployed_members,
        count(*) filter (where employment_status in ('employed', 'flexible')) as working_members,
        string_agg(id_number, ',' order by id_number)
            filter (where employment_status = 'unemployed') as unemployed_id_numbers
    from working_age
    group by hukou_no
),

zero_employment as (
    select *
    from employment_by_household
    where unemployed_members >= 1 and working_members = 0
),

household_facts as (
    select
        hukou.hukou_no,
        max(hukou.head_id_number) as head_id_number,
        max(hukou.region_code) filter (where hukou.id_number = hukou.head_id_number) as head_region_code,
        min(hukou.region_code) as any_region_code,
        max(home.assisted_household_id) filter (where hukou.id_number = hukou.head_id_number)
            as head_household_id,
        min(home.assisted_household_id) as any_household_id,
        count(*) as household_size
    from {{ ref('int_hukou_members') }} as hukou
    left join {{ ref('wrn_helper_person_home') }} as home on hukou.id_number = home.id_number
    where hukou.hukou_no in (select hukou_no from zero_employment)
    group by hukou.hukou_no
)

select
    'HRD-05' as rule_id,
    'household' as subject_type,
    zero_employment.hukou_no as subject_key,
    household_facts.head_id_number as id_number,
    coalesce(household_facts.head_household_id, household_facts.any_household_id) as household_id,
    coalesce(household_facts.head_region_code, household_facts.any_region_code) as region_code,
    'high' as severity,
    cast(json_object(
        'hukou_no', zero_employment.hukou_no,
        'household_size', household_facts.household_size,
        'working_age_members', zero_employment.working_age_members,
        'unemployed_members', zero_employment.unemployed_members,
        'unemployed_id_numbers', zero_employment.unemployed_id_numbers,
        'working_members', zero_employment.working_members,
        'working_age_min', {{ rule_param('working_age_min') }},
        'working_age_max', {{ rule_param('working_age_max') }}
    ) as varchar) as evidence
from zero_employment
inner join household_facts on zero_employment.hukou_no = household_facts.hukou_no
