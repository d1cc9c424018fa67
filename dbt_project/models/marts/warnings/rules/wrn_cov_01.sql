{#- COV-01 参保资助缺失 (§8): for the calendar year of as_of, a living covered member
    of an assisted tekun household whose medical-insurance enrolment is missing,
    not enrolled, or not `tekun_full` with subsidy_amount >= premium; or a living
    covered member of an assisted dibao household whose enrolment row for the year
    shows a subsidy of 0 (or none). The dibao clause reads the subsidy recorded on an
    enrolment, as rules.md words it: a dibao member with no row for the year yet (a
    newborn, enrolled from the next year) is not judged, unlike a tekun member. -#}
{{ config(tags=['warning_rule']) }}

with covered_members as (
    select
        id_number,
        household_id,
        region_code,
        assistance_type,
        row_number() over (partition by id_number order by assistance_type desc, household_id)
            as membership_rank
    from {{ ref('int_household_members') }}
    where is_assisted
      and coalesce(covered, false)
      and assistance_type in ('tekun', 'dibao')
),

this_year_enrollment as (
    select *
    from {{ ref('stg_mi_enrollment') }}
    where year = cast(extract(year from {{ as_of() }}) as bigint)
),

checked as (
    select
        members.id_number,
        members.household_id,
        members.region_code,
        members.assistance_type,
        enrollment.id_number is not null as has_enrollment,
        enrollment.enrolled,
        enrollment.premium,
        enrollment.subsidy_amount,
        enrollment.subsidy_category,
        case
            when members.assistance_type = 'tekun' then
                enrollment.id_number is null
                or not coalesce(enrollment.enrolled, false)
                or not (
                    coalesce(enrollment.subsidy_category, '') = 'tekun_full'
                    and coalesce(enrollment.subsidy_amount, 0) >= coalesce(enrollment.premium, 0)
                )
            else enrollment.id_number is not null and coalesce(enrollment.subsidy_amount, 0) = 0
        end as subsidy_missing
    from covered_members as members
    left join this_year_enrollment as enrollment on members.id_number = enrollment.id_number
    left join {{ ref('wrn_helper_person_home') }} as home on members.id_number = home.id_number
    where members.membership_rank = 1
      and not coalesce(home.is_deceased, false)
)

select
    'COV-01' as rule_id,
    'person' as subject_type,
    checked.id_number as subject_key,
    checked.id_number,
    checked.household_id,
    checked.region_code,
    'medium' as severity,
    cast(json_object(
        'assistance_type', checked.assistance_type,
        'year', cast(extract(year from {{ as_of() }}) as bigint),
        'has_enrollment', checked.has_enrollment,
        'enrolled', checked.enrolled,
        'premium', checked.premium,
        'subsidy_amount', checked.subsidy_amount,
        'subsidy_category', checked.subsidy_category
    ) as varchar) as evidence
from checked
where checked.subsidy_missing
