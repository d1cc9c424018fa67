{#- COV-04 残疾人两项补贴缺失 (§13): a living person whose disability certificate is
    valid on as_of (issued on or before, valid_until null or on or after) and who
    has grade 1 or 2 without the severe-disability care subsidy (care_subsidy not
    true); or who is a member of an assisted dibao or tekun household, with any
    grade, without the hardship living subsidy (living_subsidy not true). -#}
{{ config(tags=['warning_rule']) }}

with valid_certificates as (
    select *
    from {{ ref('stg_dpf_disability') }}
    where coalesce(issued_on, {{ as_of() }}) <= {{ as_of() }}
      and coalesce(valid_until, {{ as_of() }}) >= {{ as_of() }}
),

dibao_tekun_members as (
    select id_number, min(household_id) as household_id
    from {{ ref('int_household_members') }}
    where is_assisted and assistance_type in ('dibao', 'tekun')
    group by id_number
),

checked as (
    select
        certificates.id_number,
        certificates.category,
        certificates.grade,
        certificates.care_subsidy,
        certificates.living_subsidy,
        dibao_tekun_members.household_id as dibao_tekun_household_id,
        certificates.grade in ('1', '2') and not coalesce(certificates.care_subsidy, false)
            as care_subsidy_missing,
        dibao_tekun_members.id_number is not null and not coalesce(certificates.living_subsidy, false)
            as living_subsidy_missing
    from valid_certificates as certificates
    left join dibao_tekun_members on certificates.id_number = dibao_tekun_members.id_number
    left join {{ ref('wrn_helper_person_home') }} as home on certificates.id_number = home.id_number
    where not coalesce(home.is_deceased, false)
)

select
    'COV-04' as rule_id,
    'person' as subject_type,
    checked.id_number as subject_key,
    checked.id_number,
    home.assisted_household_id as household_id,
    home.region_code,
    'medium' as severity,
    cast(json_object(
        'disability_category', checked.category,
        'disability_grade', checked.grade,
        'care_subsidy', checked.care_subsidy,
        'living_subsidy', checked.living_subsidy,
        'care_subsidy_missing', checked.care_subsidy_missing,
        'living_subsidy_missing', checked.living_subsidy_missing,
        'dibao_tekun_household_id', checked.dibao_tekun_household_id
    ) as varchar) as evidence
from checked
left join {{ ref('wrn_helper_person_home') }} as home on checked.id_number = home.id_number
where checked.care_subsidy_missing or checked.living_subsidy_missing
