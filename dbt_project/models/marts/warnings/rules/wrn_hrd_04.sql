{#- HRD-04 救助家庭成员失业 (§11): a living member of an assisted household, aged
    `working_age_min` to `working_age_max` (both inclusive) on as_of, with labour
    capacity `full` or `partial`, who is registered `unemployed` and not recognised
    as a person with employment difficulty (difficult_employment not true). -#}
{{ config(tags=['warning_rule']) }}

with working_age_members as (
    select
        id_number,
        household_id,
        region_code,
        age,
        labor_capacity,
        assistance_type,
        row_number() over (partition by id_number order by household_id) as membership_rank
    from {{ ref('int_household_members') }}
    where is_assisted
      and labor_capacity in ('full', 'partial')
      and age >= {{ rule_param('working_age_min') }}
      and age <= {{ rule_param('working_age_max') }}
),

unemployed as (
    select
        members.*,
        employment.status_since,
        employment.difficult_employment
    from working_age_members as members
    inner join {{ ref('stg_hrss_employment') }} as employment on members.id_number = employment.id_number
    left join {{ ref('wrn_helper_person_home') }} as home on members.id_number = home.id_number
    where members.membership_rank = 1
      and employment.employment_status = 'unemployed'
      and not coalesce(employment.difficult_employment, false)
      and not coalesce(home.is_deceased, false)
)

select
    'HRD-04' as rule_id,
    'person' as subject_type,
    unemployed.id_number as subject_key,
    unemployed.id_number,
    unemployed.household_id,
    unemployed.region_code,
    'medium' as severity,
    cast(json_object(
        'age', unemployed.age,
        'labor_capacity', unemployed.labor_capacity,
        'assistance_type', unemployed.assistance_type,
        'unemployed_since', unemployed.status_since,
        'difficult_employment', unemployed.difficult_employment,
        'working_age_min', {{ rule_param('working_age_min') }},
        'working_age_max', {{ rule_param('working_age_max') }}
    ) as varchar) as evidence
from unemployed
