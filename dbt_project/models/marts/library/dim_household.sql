-- Assisted households of the newest roll with their current status, class,
-- members, the standard in force at as_of and the hukou households they map to.
with households as (
    select * from {{ ref('int_households') }}
),

members as (
    select * from {{ ref('int_household_members') }}
),

member_hukou as (
    select
        members.household_id,
        string_agg(members.id_number, ' ' order by members.id_number) as member_id_numbers,
        string_agg(distinct people.hukou_no, ' ' order by people.hukou_no) as hukou_nos,
        count(distinct people.hukou_no) as hukou_household_count
    from members
    left join {{ ref('int_people') }} as people on people.id_number = members.id_number
    group by members.household_id
),

regions as (
    select region_code, region_name from {{ ref('dim_region') }}
)

select
    households.household_id,
    households.head_id_number,
    head.name as head_name,
    households.region_code,
    households.banner_code,
    banner.region_name as banner_name,
    households.township_code,
    township.region_name as township_name,
    households.urban_rural,
    households.assistance_type,
    households.dibao_class,
    households.tekun_support_mode,
    households.status,
    households.is_assisted,
    households.approved_on,
    households.last_review_on,
    households.terminated_on,
    households.single_person,
    households.member_count,
    households.covered_member_count,
    member_hukou.member_id_numbers,
    households.monthly_income_total,
    households.monthly_benefit,
    cast({{ standard_in_force('households.banner_code', "'dibao_' || households.urban_rural", as_of()) }}
        as decimal(14, 2)) as dibao_standard,
    cast({{ standard_in_force('households.banner_code', "'tekun_basic_' || households.urban_rural", as_of()) }}
        as decimal(14, 2)) as tekun_basic_standard,
    member_hukou.hukou_nos,
    coalesce(member_hukou.hukou_household_count, 0) as hukou_household_count
from households
left join member_hukou on member_hukou.household_id = households.household_id
left join {{ ref('int_people') }} as head on head.id_number = households.head_id_number
left join regions as banner on banner.region_code = households.banner_code
left join regions as township on township.region_code = households.township_code
