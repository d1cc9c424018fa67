-- The household roll as it stood in each indicator month: the newest ca_households
-- delivery on or before the month's snapshot date, with the member count of the
-- newest ca_members delivery on or before that date.
with months as (
    select * from {{ ref('int_month_spine') }}
),

household_extracts as (
    select distinct extract_date from {{ ref('int_household_deliveries') }}
),

member_extracts as (
    select distinct extract_date from {{ ref('int_member_deliveries') }}
),

month_extracts as (
    select
        months.month,
        months.snapshot_date,
        (select max(h.extract_date) from household_extracts as h where h.extract_date <= months.snapshot_date)
            as household_extract,
        (select max(m.extract_date) from member_extracts as m where m.extract_date <= months.snapshot_date)
            as member_extract
    from months
),

member_counts as (
    select
        household_id,
        extract_date,
        count(*) as member_count,
        count(*) filter (where coalesce(covered, true)) as covered_member_count
    from {{ ref('int_member_deliveries') }}
    group by household_id, extract_date
)

select
    month_extracts.month,
    month_extracts.snapshot_date,
    households.household_id,
    households.head_id_number,
    households.region_code,
    households.banner_code,
    households.township_code,
    households.urban_rural,
    households.assistance_type,
    households.dibao_class,
    households.tekun_support_mode,
    households.status,
    households.approved_on,
    households.last_review_on,
    households.is_assisted,
    households.roll_type,
    coalesce(member_counts.member_count, 0) as member_count,
    coalesce(member_counts.covered_member_count, 0) as covered_member_count
from month_extracts
inner join {{ ref('int_household_deliveries') }} as households
    on households.extract_date = month_extracts.household_extract
left join member_counts
    on member_counts.household_id = households.household_id
    and member_counts.extract_date = month_extracts.member_extract
