with source as (
    select * from {{ source('raw_be', 'be_fiscal_income_sectors') }}
)

select
    cd_year as statistics_year,
    cd_sector as sector_id,
    ms_nbr_non_zero_inc as declarations_count,
    ms_tot_net_taxable_inc as total_net_taxable_income_eur,
    ms_avg_tot_net_taxable_inc as mean_net_taxable_income_eur,
    ms_median_net_taxable_inc as median_net_taxable_income_eur,
    is_suppressed,
    source_file,
    source_line
from source
