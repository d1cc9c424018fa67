-- Persons in assisted households in each indicator month (int_monthly_roll's
-- households, members from the newest ca_members delivery on or before the month's
-- snapshot date).
with months as (
    select * from {{ ref('int_month_spine') }}
),

member_extracts as (
    select distinct extract_date from {{ ref('int_member_deliveries') }}
),

month_extracts as (
    select
        months.month,
        (select max(m.extract_date) from member_extracts as m where m.extract_date <= months.snapshot_date)
            as member_extract
    from months
)

select
    roll.month,
    members.id_number,
    roll.household_id,
    roll.region_code,
    roll.banner_code,
    roll.township_code,
    roll.urban_rural,
    roll.assistance_type,
    roll.roll_type
from {{ ref('int_monthly_roll') }} as roll
inner join month_extracts on month_extracts.month = roll.month
inner join {{ ref('int_member_deliveries') }} as members
    on members.household_id = roll.household_id
    and members.extract_date = month_extracts.member_extract
where roll.is_assisted
