{#- HRD-02 单人户低保候选 (§4): a living member of an assisted household of type
    edge, rigid_expense or other_low_income who holds a disability certificate valid
    on as_of (issued on or before, valid_until null or on or after) of grade 1 or 2,
    or grade 3 in the intellectual or mental category, and who is in no assisted
    dibao household: §4 lets such a person be covered alone. -#}
{{ config(tags=['warning_rule']) }}

with low_income_members as (
    select
        id_number,
        household_id,
        region_code,
        assistance_type,
        row_number() over (partition by id_number order by household_id) as membership_rank
    from {{ ref('int_household_members') }}
    where is_assisted
      and assistance_type in ('edge', 'rigid_expense', 'other_low_income')
),

dibao_members as (
    select distinct id_number
    from {{ ref('int_household_members') }}
    where is_assisted and assistance_type = 'dibao'
),

severe_disability as (
    select id_number, category, grade, issued_on, valid_until
    from {{ ref('stg_dpf_disability') }}
    where coalesce(issued_on, {{ as_of() }}) <= {{ as_of() }}
      and coalesce(valid_until, {{ as_of() }}) >= {{ as_of() }}
      and (grade in ('1', '2') or (grade = '3' and category in ('intellectual', 'mental')))
),

candidates as (
    select
        members.id_number,
        members.household_id,
        members.region_code,
        members.assistance_type,
        disability.category,
        disability.grade,
        disability.valid_until
    from low_income_members as members
    inner join severe_disability as disability on members.id_number = disability.id_number
    left join {{ ref('wrn_helper_person_home') }} as home on members.id_number = home.id_number
    where members.membership_rank = 1
      and not coalesce(home.is_deceased, false)
      and members.id_number not in (select id_number from dibao_members)
)

select
    'HRD-02' as rule_id,
    'person' as subject_type,
    candidates.id_number as subject_key,
    candidates.id_number,
    candidates.household_id,
    candidates.region_code,
    'medium' as severity,
    cast(json_object(
        'assistance_type', candidates.assistance_type,
        'disability_category', candidates.category,
        'disability_grade', candidates.grade,
        'certificate_valid_until', candidates.valid_until
    ) as varchar) as evidence
from candidates
