-- The aid resource library (indicators.md, §23): one row per aid event, whoever
-- gave it. Civil-affairs payments, temporary assistance, medical assistance and
-- premium subsidies, education aid, housing aid, disaster relief, public-welfare
-- posts and social forces' charity. Disability subsidies are counted where they
-- are paid (ca_payments programs), not from the certificate flags.
with payments as (
    select
        id_number,
        household_id,
        coalesce(paid_on, pay_month) as aid_date,
        pay_month as aid_month,
        program as aid_kind,
        'civil_affairs' as provider,
        'civil_affairs' as provider_department,
        amount,
        'ca_payments' as source_feed,
        payment_id as source_key
    from {{ ref('stg_ca_payments') }}
),

temporary as (
    select
        id_number,
        household_id,
        coalesce(approved_on, applied_on) as aid_date,
        {{ month_of('coalesce(approved_on, applied_on)') }} as aid_month,
        'temporary' as aid_kind,
        'civil_affairs' as provider,
        'civil_affairs' as provider_department,
        amount,
        'ca_temp_assistance' as source_feed,
        case_id as source_key
    from {{ ref('stg_ca_temp_assistance') }}
),

medical_assistance as (
    select
        id_number,
        cast(null as varchar) as household_id,
        settled_on as aid_date,
        {{ month_of('settled_on') }} as aid_month,
        'medical_assistance' as aid_kind,
        'medical_security' as provider,
        'medical_security' as provider_department,
        medical_assistance_paid as amount,
        'mi_settlements' as source_feed,
        settlement_id as source_key
    from {{ ref('stg_mi_settlements') }}
    where medical_assistance_paid > 0
),

insurance_subsidy as (
    select
        id_number,
        cast(null as varchar) as household_id,
        make_date(cast(year as integer), 1, 1) as aid_date,
        make_date(cast(year as integer), 1, 1) as aid_month,
        'insurance_subsidy' as aid_kind,
        'medical_security' as provider,
        'medical_security' as provider_department,
        subsidy_amount as amount,
        'mi_enrollment' as source_feed,
        id_number || '|' || cast(year as varchar) as source_key
    from {{ ref('stg_mi_enrollment') }}
    where subsidy_amount > 0
),

education as (
    select
        id_number,
        cast(null as varchar) as household_id,
        cast({{ dbt.date_trunc('year', '_extract_date') }} as date) as aid_date,
        cast({{ dbt.date_trunc('year', '_extract_date') }} as date) as aid_month,
        'education' as aid_kind,
        coalesce(school_name, 'education') as provider,
        'education' as provider_department,
        aid_amount_this_year as amount,
        'edu_students' as source_feed,
        id_number as source_key
    from {{ ref('stg_edu_students') }}
    where aid_amount_this_year > 0
),

housing as (
    select
        id_number,
        cast(null as varchar) as household_id,
        granted_on as aid_date,
        {{ month_of('granted_on') }} as aid_month,
        'housing' as aid_kind,
        'housing' as provider,
        'housing' as provider_department,
        amount,
        'hc_housing_aid' as source_feed,
        record_id as source_key
    from {{ ref('stg_hc_housing_aid') }}
),

disaster_relief as (
    select
        id_number,
        cast(null as varchar) as household_id,
        occurred_on as aid_date,
        {{ month_of('occurred_on') }} as aid_month,
        'disaster_relief' as aid_kind,
        'emergency_management' as provider,
        'emergency_management' as provider_department,
        relief_amount as amount,
        'em_disaster_victims' as source_feed,
        record_id as source_key
    from {{ ref('stg_em_disaster_victims') }}
    where relief_amount > 0
),

welfare_posts as (
    select
        id_number,
        cast(null as varchar) as household_id,
        status_since as aid_date,
        {{ month_of('status_since') }} as aid_month,
        'public_welfare_post' as aid_kind,
        coalesce(employer_name, 'hr_social_security') as provider,
        'hr_social_security' as provider_department,
        cast(null as decimal(14, 2)) as amount,
        'hrss_employment' as source_feed,
        id_number as source_key
    from {{ ref('stg_hrss_employment') }}
    where public_welfare_post
),

charity as (
    select
        id_number,
        cast(null as varchar) as household_id,
        given_on as aid_date,
        {{ month_of('given_on') }} as aid_month,
        'charity' as aid_kind,
        coalesce(org_name, org_type, 'social_forces') as provider,
        'social_forces' as provider_department,
        value as amount,
        'sf_charity_aid' as source_feed,
        record_id as source_key
    from {{ ref('stg_sf_charity_aid') }}
),

all_aid as (
    select * from payments
    union all select * from temporary
    union all select * from medical_assistance
    union all select * from insurance_subsidy
    union all select * from education
    union all select * from housing
    union all select * from disaster_relief
    union all select * from welfare_posts
    union all select * from charity
)

select
    all_aid.source_feed,
    all_aid.source_key,
    all_aid.aid_kind,
    all_aid.id_number,
    coalesce(all_aid.household_id, person_household.household_id) as household_id,
    cast(all_aid.aid_date as date) as aid_date,
    cast(all_aid.aid_month as date) as aid_month,
    all_aid.provider,
    all_aid.provider_department,
    cast(all_aid.amount as decimal(14, 2)) as amount
from all_aid
left join {{ ref('int_person_household') }} as person_household
    on person_household.id_number = all_aid.id_number
