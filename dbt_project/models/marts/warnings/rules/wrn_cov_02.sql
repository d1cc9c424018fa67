{#- COV-02 学生未获教育救助 (§9): a living student enrolled (status `enrolled`) at
    stage senior, vocational, higher_vocational or undergraduate who is a member of
    an assisted dibao, tekun or edge household and has no aid this year
    (aid_amount_this_year 0 or missing). -#}
{{ config(tags=['warning_rule']) }}

with household_students as (
    select
        members.id_number,
        members.household_id,
        members.region_code,
        members.assistance_type,
        students.school_name,
        students.stage,
        students.aid_amount_this_year,
        row_number() over (partition by members.id_number order by members.household_id) as membership_rank
    from {{ ref('int_household_members') }} as members
    inner join {{ ref('stg_edu_students') }} as students on members.id_number = students.id_number
    left join {{ ref('wrn_helper_person_home') }} as home on members.id_number = home.id_number
    where members.is_assisted
      and members.assistance_type in ('dibao', 'tekun', 'edge')
      and students.status = 'enrolled'
      and students.stage in ('senior', 'vocational', 'higher_vocational', 'undergraduate')
      and coalesce(students.aid_amount_this_year, 0) = 0
      and not coalesce(home.is_deceased, false)
)

select
    'COV-02' as rule_id,
    'person' as subject_type,
    household_students.id_number as subject_key,
    household_students.id_number,
    household_students.household_id,
    household_students.region_code,
    'medium' as severity,
    cast(json_object(
        'assistance_type', household_students.assistance_type,
        'school_name', household_students.school_name,
        'stage', household_students.stage,
        'aid_amount_this_year', household_students.aid_amount_this_year
    ) as varchar) as evidence
from household_students
where household_students.membership_rank = 1
