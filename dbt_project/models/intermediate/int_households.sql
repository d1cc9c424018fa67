-- Every household of the newest ca_households delivery on or before as_of, placed
-- in its banner and township, with its member count. Assisted = status active or
-- gradual_exit (rules.md "Assisted household").
with households as (
    select * from {{ ref('stg_ca_households') }}
),

members as (
    select
        household_id,
        count(*) as member_count,
        count(*) filter (where coalesce(covered, true)) as covered_member_count
    from {{ ref('stg_ca_members') }}
    group by household_id
)

select
    households.household_id,
    households.head_id_number,
    households.region_code,
    {{ banner_of('households.region_code') }} as banner_code,
    {{ township_of('households.region_code') }} as township_code,
    households.urban_rural,
    households.assistance_type,
    households.dibao_class,
    households.tekun_support_mode,
    households.status,
    households.approved_on,
    households.last_review_on,
    households.gradual_exit_type,
    households.gradual_exit_start,
    households.gradual_exit_months,
    households.terminated_on,
    households.single_person,
    households.monthly_income_total,
    households.monthly_benefit,
    coalesce(members.member_count, 0) as member_count,
    coalesce(members.covered_member_count, 0) as covered_member_count,
    households.status in ('active', 'gradual_exit') as is_assisted,
    households._extract_date
from households
left join members on members.household_id = households.household_id
