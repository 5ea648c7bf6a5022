//! Calendar, day-count and schedule tests. Every expected figure is taken from the State
//! Council holiday announcements or worked out by hand in the comments, never from the
//! program's own output.

use chrono::NaiveDate;
use ipabs::calendar::daycount::DayCount;
use ipabs::calendar::schedule::{
    CollectionLag, Frequency, ScheduledDate, add_months, is_month_end, payment_dates,
};
use ipabs::calendar::{BusinessDayConvention as Bdc, Calendar};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn cn() -> Calendar {
    Calendar::china()
}

/// The year fraction is exactly `num / den` (review 27a item 5: a tolerance of 1e-26 on the
/// Decimal quotient could not tell two roundings of it apart; the money path multiplies by the
/// exact `Ratio`, docs/conventions.md).
fn assert_ratio(got: ipabs::money::Ratio, num: i128, den: i128) {
    assert!(
        i128::from(got.num) * den == num * i128::from(got.den) && got.den > 0,
        "{}/{} vs {num}/{den}",
        got.num,
        got.den
    );
}

// ---------------------------------------------------------------- business days, 2024

#[test]
fn national_day_2024() {
    // 国办发明电〔2023〕7号: 10月1日至7日放假调休; 9月29日(星期日)、10月12日(星期六)上班.
    let cal = cn();
    for day in 1..=7 {
        assert!(!cal.is_business_day(d(2024, 10, day)), "2024-10-{day:02}");
    }
    assert!(
        cal.is_business_day(d(2024, 9, 29)),
        "Sunday 2024-09-29 is worked"
    );
    assert!(
        cal.is_business_day(d(2024, 10, 12)),
        "Saturday 2024-10-12 is worked"
    );
    assert!(cal.is_business_day(d(2024, 9, 30)));
    assert!(cal.is_business_day(d(2024, 10, 8)));
    assert!(!cal.is_business_day(d(2024, 10, 13)), "ordinary Sunday");

    assert_eq!(cal.adjust(d(2024, 10, 1), Bdc::Following), d(2024, 10, 8));
    assert_eq!(cal.adjust(d(2024, 10, 7), Bdc::Preceding), d(2024, 9, 30));
    assert_eq!(
        cal.adjust(d(2024, 10, 1), Bdc::ModifiedFollowing),
        d(2024, 10, 8)
    );
    assert_eq!(cal.adjust(d(2024, 10, 1), Bdc::Unadjusted), d(2024, 10, 1));
    // A business day is never moved.
    for bdc in Bdc::ALL {
        assert_eq!(cal.adjust(d(2024, 9, 29), bdc), d(2024, 9, 29));
    }
    // The weekends-only calendar knows nothing of the holiday.
    let wk = Calendar::weekends_only();
    assert!(wk.is_business_day(d(2024, 10, 1)));
    assert!(!wk.is_business_day(d(2024, 9, 29)));
}

#[test]
fn spring_festival_2024() {
    // 2月10日至17日放假调休,共8天; 2月4日(星期日)、2月18日(星期日)上班.
    let cal = cn();
    for day in 10..=17 {
        assert!(!cal.is_business_day(d(2024, 2, day)), "2024-02-{day}");
    }
    assert!(
        cal.is_business_day(d(2024, 2, 4)),
        "Sunday 2024-02-04 is worked"
    );
    assert!(
        cal.is_business_day(d(2024, 2, 18)),
        "Sunday 2024-02-18 is worked"
    );
    // 除夕 2024-02-09 (Friday) is only "encouraged" rest, not a statutory holiday.
    assert!(cal.is_business_day(d(2024, 2, 9)));
    assert!(!cal.is_business_day(d(2024, 2, 3)), "ordinary Saturday");
    // Following from the first holiday lands on the worked Sunday.
    assert_eq!(cal.adjust(d(2024, 2, 10), Bdc::Following), d(2024, 2, 18));
    assert_eq!(cal.adjust(d(2024, 2, 17), Bdc::Preceding), d(2024, 2, 9));
}

#[test]
fn other_2024_holidays() {
    let cal = cn();
    // 元旦 1月1日; 清明 4月4日至6日, 4月7日(星期日)上班; 劳动节 5月1日至5日,
    // 4月28日(星期日)、5月11日(星期六)上班; 端午 6月10日; 中秋 9月15日至17日, 9月14日(星期六)上班.
    assert!(!cal.is_business_day(d(2024, 1, 1)));
    assert!(!cal.is_business_day(d(2024, 4, 4)));
    assert!(cal.is_business_day(d(2024, 4, 7)));
    assert!(!cal.is_business_day(d(2024, 5, 3)));
    assert!(cal.is_business_day(d(2024, 4, 28)));
    assert!(cal.is_business_day(d(2024, 5, 11)));
    assert!(!cal.is_business_day(d(2024, 6, 10)));
    assert!(!cal.is_business_day(d(2024, 9, 16)));
    assert!(cal.is_business_day(d(2024, 9, 14)));
}

// ---------------------------------------------------------------- business days, other years

#[test]
fn modified_following_rolls_back_at_month_end() {
    let cal = cn();
    // 2023 (国办发明电〔2022〕16号): 9月29日至10月6日放假调休; 10月7日(星期六)、10月8日(星期日)上班.
    // 2023-09-30 is a Saturday inside the holiday. Following goes to the worked Saturday
    // 2023-10-07, which is in October, so modified following goes back: 09-29 is a holiday,
    // Thursday 2023-09-28 is a business day.
    assert_eq!(cal.adjust(d(2023, 9, 30), Bdc::Following), d(2023, 10, 7));
    assert_eq!(
        cal.adjust(d(2023, 9, 30), Bdc::ModifiedFollowing),
        d(2023, 9, 28)
    );
    assert_eq!(cal.adjust(d(2023, 9, 30), Bdc::Preceding), d(2023, 9, 28));
    // 2025 端午 5月31日(周六)至6月2日(周一): month-end Saturday 2025-05-31 → following
    // Tuesday 2025-06-03 (June) → modified following Friday 2025-05-30.
    assert_eq!(cal.adjust(d(2025, 5, 31), Bdc::Following), d(2025, 6, 3));
    assert_eq!(
        cal.adjust(d(2025, 5, 31), Bdc::ModifiedFollowing),
        d(2025, 5, 30)
    );
    // 2022 劳动节 4月30日至5月4日: 2022-04-30 (Sat) → 2022-05-05 → modified 2022-04-29 (Fri).
    assert_eq!(
        cal.adjust(d(2022, 4, 30), Bdc::ModifiedFollowing),
        d(2022, 4, 29)
    );
}

#[test]
fn key_dates_2019_to_2026() {
    let cal = cn();
    // 2019: 元旦 2018-12-30..2019-01-01, 2018-12-29 (Sat) worked; 春节 2月4日至10日,
    // 2月2日(六)、3日(日)上班; 劳动节 as amended by 国办发明电〔2019〕3号: 5月1日至4日,
    // 4月28日(日)、5月5日(日)上班.
    assert!(!cal.is_business_day(d(2018, 12, 31)));
    assert!(cal.is_business_day(d(2018, 12, 29)));
    assert!(cal.is_business_day(d(2019, 2, 2)) && cal.is_business_day(d(2019, 2, 3)));
    assert!(!cal.is_business_day(d(2019, 2, 4)));
    assert!(!cal.is_business_day(d(2019, 5, 2)));
    assert!(cal.is_business_day(d(2019, 5, 5)));
    // 2020: 春节 1月24日至30日, 1月19日(日)上班; extended (国办发明电〔2020〕1号) to
    // 2月2日, so the announced working Saturday 2月1日 became a holiday; work resumed 2月3日.
    assert!(cal.is_business_day(d(2020, 1, 19)));
    assert!(!cal.is_business_day(d(2020, 1, 31)));
    assert!(!cal.is_business_day(d(2020, 2, 1)));
    assert!(cal.is_business_day(d(2020, 2, 3)));
    assert_eq!(cal.adjust(d(2020, 1, 24), Bdc::Following), d(2020, 2, 3));
    // 2021: 国庆 10月1日至7日, 9月26日(日)、10月9日(六)上班.
    assert!(cal.is_business_day(d(2021, 9, 26)) && cal.is_business_day(d(2021, 10, 9)));
    // 2022: 国庆 10月1日至7日, 10月8日(六)、10月9日(日)上班.
    assert!(cal.is_business_day(d(2022, 10, 8)) && cal.is_business_day(d(2022, 10, 9)));
    // 2025: 春节 1月28日至2月4日, 1月26日(日)、2月8日(六)上班.
    assert!(!cal.is_business_day(d(2025, 1, 28)) && !cal.is_business_day(d(2025, 2, 4)));
    assert!(cal.is_business_day(d(2025, 1, 26)) && cal.is_business_day(d(2025, 2, 8)));
    // 2026: 春节 2月15日至23日, 2月14日(六)、2月28日(六)上班; 元旦 1月1日至3日, 1月4日(日)上班.
    assert!(!cal.is_business_day(d(2026, 2, 23)));
    assert!(cal.is_business_day(d(2026, 2, 14)) && cal.is_business_day(d(2026, 2, 28)));
    assert!(cal.is_business_day(d(2026, 1, 4)));
    assert!(!cal.is_business_day(d(2026, 10, 7)));
    assert!(cal.is_business_day(d(2026, 10, 10)));
}

#[test]
fn coverage_and_builtin_lookup() {
    assert_eq!(cn().covered_years(), Some((2019, 2026)));
    assert_eq!(Calendar::weekends_only().covered_years(), None);
    assert_eq!(
        Calendar::builtin("CN").unwrap().covered_years(),
        Some((2019, 2026))
    );
    assert_eq!(Calendar::builtin("weekends").unwrap().covered_years(), None);
    assert!(Calendar::builtin("HK").is_none());
    assert!(Calendar::builtin("").is_none());
    // Outside the data only weekends count: 2027-10-01 is a Friday.
    assert!(cn().is_business_day(d(2027, 10, 1)));
}

#[test]
fn overrides() {
    // A deal holiday on an ordinary Monday, a deal working day on an ordinary Saturday,
    // and a deal working day on a statutory holiday (the holiday wins).
    let cal = cn().with_overrides(&[d(2024, 11, 11)], &[d(2024, 11, 16), d(2024, 10, 2)]);
    assert!(!cal.is_business_day(d(2024, 11, 11)));
    assert!(cal.is_business_day(d(2024, 11, 16)));
    assert!(!cal.is_business_day(d(2024, 10, 2)));
    // A date that is both an extra holiday and an extra working day is a holiday.
    let cal = Calendar::weekends_only().with_overrides(&[d(2024, 11, 16)], &[d(2024, 11, 16)]);
    assert!(!cal.is_business_day(d(2024, 11, 16)));
    assert_eq!(cal.covered_years(), None);
}

#[test]
fn add_business_days_across_holidays_and_worked_weekends() {
    let cal = cn();
    // Monday 2024-09-30 + 1 → skips 10-01..07 → Tuesday 2024-10-08.
    assert_eq!(cal.add_business_days(d(2024, 9, 30), 1), d(2024, 10, 8));
    // Friday 2024-09-27 + 1 → the worked Sunday 2024-09-29 (Saturday 09-28 is off).
    assert_eq!(cal.add_business_days(d(2024, 9, 27), 1), d(2024, 9, 29));
    // Friday 2024-10-11 + 1 → the worked Saturday 2024-10-12; + 2 → Monday 2024-10-14.
    assert_eq!(cal.add_business_days(d(2024, 10, 11), 1), d(2024, 10, 12));
    assert_eq!(cal.add_business_days(d(2024, 10, 11), 2), d(2024, 10, 14));
    // Backwards: 2024-10-08 − 1 → 09-30; − 2 → Sunday 09-29; − 3 → Friday 09-27.
    assert_eq!(cal.add_business_days(d(2024, 10, 8), -1), d(2024, 9, 30));
    assert_eq!(cal.add_business_days(d(2024, 10, 8), -2), d(2024, 9, 29));
    assert_eq!(cal.add_business_days(d(2024, 10, 8), -3), d(2024, 9, 27));
    // From a holiday: 2024-10-03 + 1 → 10-08; − 1 → 09-30.
    assert_eq!(cal.add_business_days(d(2024, 10, 3), 1), d(2024, 10, 8));
    assert_eq!(cal.add_business_days(d(2024, 10, 3), -1), d(2024, 9, 30));
    // n = 0 leaves even a holiday unchanged.
    assert_eq!(cal.add_business_days(d(2024, 10, 3), 0), d(2024, 10, 3));
    // Ten business days from Monday 2024-09-23: 24,25,26,27 (4), Sun 29 (5), Mon 30 (6),
    // Oct 8,9,10,11 (10).
    assert_eq!(cal.add_business_days(d(2024, 9, 23), 10), d(2024, 10, 11));
}

#[test]
fn no_panic_near_date_limits() {
    let cal = cn();
    let max = NaiveDate::MAX;
    let min = NaiveDate::MIN;
    for bdc in Bdc::ALL {
        let _ = cal.adjust(max, bdc);
        let _ = cal.adjust(min, bdc);
    }
    let far = cal.add_business_days(max, 10);
    assert!(far <= max);
    let far = cal.add_business_days(min, -10);
    assert!(far >= min);
    let _ = cal.add_business_days(max, i32::MIN + 1_000_000_000);
    assert_eq!(
        CollectionLag::CalendarDays(u32::MAX)
            .collection_end(on(min), &cal)
            .unwrap(),
        min
    );
    let _ = CollectionLag::BusinessDays(5)
        .collection_end(on(min), &cal)
        .unwrap();
    assert_eq!(
        CollectionLag::PreviousMonthEnd
            .collection_end(on(min), &cal)
            .unwrap(),
        min
    );
    for dc in DayCount::ALL {
        let a = dc.fraction(min, max).to_decimal();
        let b = dc.fraction(max, min).to_decimal();
        assert_eq!(a, -b);
        assert!(a > Decimal::ZERO);
    }
    assert!(add_months(max, 1, true).is_none());
    let v = payment_dates(max, Frequency::Monthly, max, &cal, Bdc::Following);
    assert_eq!(v.len(), 1);
}

// ---------------------------------------------------------------- collection lag

#[test]
fn collection_lag() {
    let cal = cn();
    // Payment 2024-10-08: 7 calendar days back is 2024-10-01 (a holiday; calendar-day lags
    // do not adjust). 2 business days back: 09-30 (1), Sunday 09-29 (2).
    assert_eq!(
        CollectionLag::CalendarDays(7)
            .collection_end(on(d(2024, 10, 8)), &cal)
            .unwrap(),
        d(2024, 10, 1)
    );
    assert_eq!(
        CollectionLag::BusinessDays(2)
            .collection_end(on(d(2024, 10, 8)), &cal)
            .unwrap(),
        d(2024, 9, 29)
    );
    assert_eq!(
        CollectionLag::BusinessDays(0)
            .collection_end(on(d(2024, 10, 8)), &cal)
            .unwrap(),
        d(2024, 10, 8)
    );
    assert_eq!(
        CollectionLag::CalendarDays(0)
            .collection_end(on(d(2024, 10, 8)), &cal)
            .unwrap(),
        d(2024, 10, 8)
    );
    // Across a year end: 2024-01-02 − 3 calendar days = 2023-12-30.
    assert_eq!(
        CollectionLag::CalendarDays(3)
            .collection_end(on(d(2024, 1, 2)), &cal)
            .unwrap(),
        d(2023, 12, 30)
    );
    // The month end before the scheduled date (since session 30), whatever its adjustment:
    // scheduled 2024-10-01 (National Day), paid 2024-10-08: 2024-09-30; scheduled 2024-03-26:
    // 2024-02-29 (a leap year); 2025-01-26: 2024-12-31.
    let moved = ScheduledDate {
        unadjusted: d(2024, 10, 1),
        adjusted: d(2024, 10, 8),
    };
    assert_eq!(
        CollectionLag::PreviousMonthEnd
            .collection_end(moved, &cal)
            .unwrap(),
        d(2024, 9, 30)
    );
    assert_eq!(
        CollectionLag::PreviousMonthEnd
            .collection_end(on(d(2024, 3, 26)), &cal)
            .unwrap(),
        d(2024, 2, 29)
    );
    assert_eq!(
        CollectionLag::PreviousMonthEnd
            .collection_end(on(d(2025, 1, 26)), &cal)
            .unwrap(),
        d(2024, 12, 31)
    );
    // Listed ends (`collection_ends`) are the deal's, not derived from the date.
    assert_eq!(CollectionLag::Listed.collection_end(moved, &cal), None);
}

/// A payment date that no adjustment moved.
fn on(date: NaiveDate) -> ScheduledDate {
    ScheduledDate {
        unadjusted: date,
        adjusted: date,
    }
}

// ---------------------------------------------------------------- day counts

#[test]
fn act_365f_and_act_360() {
    let (s, e) = (d(2024, 1, 1), d(2025, 1, 1));
    // 2024 is a leap year: 366 days.
    assert_eq!(DayCount::Act365F.day_count(s, e), 366);
    // 366/365 = 1.00273972602739726027397260273...
    assert_ratio(DayCount::Act365F.fraction(s, e), 366, 365);
    // 2024-01-01 → 2024-07-01: 31+29+31+30+31+30 = 182 days; 182/360 = 0.50555...
    let e2 = d(2024, 7, 1);
    assert_eq!(DayCount::Act360.day_count(s, e2), 182);
    assert_ratio(DayCount::Act360.fraction(s, e2), 182, 360);
    // 365 days of 2023 / 365 = 1 exactly; 180/360 = 0.5 exactly.
    assert_eq!(
        DayCount::Act365F
            .fraction(d(2023, 1, 1), d(2024, 1, 1))
            .to_decimal(),
        dec!(1)
    );
    assert_eq!(
        DayCount::Act360
            .fraction(d(2023, 1, 1), d(2023, 6, 30))
            .to_decimal(),
        dec!(0.5)
    );
    assert_eq!(DayCount::Act365F.fraction(s, s).to_decimal(), Decimal::ZERO);
}

#[test]
fn thirty_360_bond_basis() {
    let tc = DayCount::Thirty360;
    // 2024-01-31 → 2024-02-29: D1=31→30, D2=29. 30·(2−1) + (29−30) = 29.
    assert_eq!(tc.day_count(d(2024, 1, 31), d(2024, 2, 29)), 29);
    // 2024-01-30 → 2024-03-31: D1=30, D2=31 and D1≥30 → 30. 30·2 + 0 = 60.
    assert_eq!(tc.day_count(d(2024, 1, 30), d(2024, 3, 31)), 60);
    assert_eq!(
        tc.fraction(d(2024, 1, 30), d(2024, 3, 31)).to_decimal(),
        dec!(60) / dec!(360)
    );
    // 2024-02-29 → 2024-03-31: D1=29 (<30) so D2 stays 31. 30·1 + (31−29) = 32.
    assert_eq!(tc.day_count(d(2024, 2, 29), d(2024, 3, 31)), 32);
    // 32/360 = 0.0888...
    assert_ratio(tc.fraction(d(2024, 2, 29), d(2024, 3, 31)), 32, 360);
    // 2023-12-31 → 2024-12-31: D1=31→30, D2=31→30. 360·1 + 30·0 + 0 = 360 → exactly 1.
    assert_eq!(tc.day_count(d(2023, 12, 31), d(2024, 12, 31)), 360);
    assert_eq!(
        tc.fraction(d(2023, 12, 31), d(2024, 12, 31)).to_decimal(),
        dec!(1)
    );
    // 2024-01-15 → 2024-07-15: 30·6 = 180 → 0.5.
    assert_eq!(
        tc.fraction(d(2024, 1, 15), d(2024, 7, 15)).to_decimal(),
        dec!(0.5)
    );
    // 2024-02-28 → 2024-03-01: 30·1 + (1−28) = 3 (bond basis does not adjust February ends).
    assert_eq!(tc.day_count(d(2024, 2, 28), d(2024, 3, 1)), 3);
    // 2024-03-31 → 2024-04-30: D1=31→30, D2=30. 30·1 + 0 = 30.
    assert_eq!(tc.day_count(d(2024, 3, 31), d(2024, 4, 30)), 30);
}

#[test]
fn act_act_isda() {
    let aa = DayCount::ActAct;
    // 2023-11-15 → 2024-01-01: 16 days of November (15..30) + 31 of December = 47 in 2023
    // (365-day year); 2024-01-01 → 2024-02-15: 31 + 14 = 45 in 2024 (366-day year).
    // 47/365 + 45/366 = 11209/44530 = 0.25171794295980238041769593532...
    let (s, e) = (d(2023, 11, 15), d(2024, 2, 15));
    assert_eq!(aa.day_count(s, e), 92);
    assert_ratio(aa.fraction(s, e), 11209, 44530);
    // 2023-07-01 → 2025-07-01: 184/365 (2023) + 366/366 (2024) + 181/365 (2025) = 2 exactly.
    assert_eq!(
        aa.fraction(d(2023, 7, 1), d(2025, 7, 1)).to_decimal(),
        dec!(2)
    );
    // Whole leap year: 366/366 = 1.
    assert_eq!(
        aa.fraction(d(2024, 1, 1), d(2025, 1, 1)).to_decimal(),
        dec!(1)
    );
}

#[test]
fn negative_fractions_when_end_precedes_start() {
    let (s, e) = (d(2024, 1, 31), d(2024, 2, 29));
    for dc in DayCount::ALL {
        assert_eq!(
            dc.fraction(e, s).to_decimal(),
            -dc.fraction(s, e).to_decimal(),
            "{dc}"
        );
        assert_eq!(dc.day_count(e, s), -dc.day_count(s, e), "{dc}");
    }
    assert_eq!(DayCount::Thirty360.day_count(e, s), -29);
    assert_eq!(DayCount::Act365F.day_count(e, s), -29);
}

#[test]
fn enum_spellings_round_trip() {
    let dcs = [
        ("ACT/365F", DayCount::Act365F),
        ("ACT/360", DayCount::Act360),
        ("30/360", DayCount::Thirty360),
        ("ACT/ACT", DayCount::ActAct),
        ("NL/365", DayCount::Nl365),
    ];
    for (s, dc) in dcs {
        assert_eq!(dc.name(), s);
        assert_eq!(s.parse::<DayCount>(), Ok(dc));
        assert_eq!(s.to_lowercase().parse::<DayCount>(), Ok(dc));
    }
    let err = "ACT/365".parse::<DayCount>().unwrap_err();
    assert!(
        err.contains("ACT/365F") && err.contains("30/360") && err.contains("ACT/ACT"),
        "{err}"
    );

    let bdcs = [
        ("unadjusted", Bdc::Unadjusted),
        ("following", Bdc::Following),
        ("modified_following", Bdc::ModifiedFollowing),
        ("preceding", Bdc::Preceding),
    ];
    for (s, b) in bdcs {
        assert_eq!(b.name(), s);
        assert_eq!(s.parse::<Bdc>(), Ok(b));
    }
    assert!(
        "modified following"
            .parse::<Bdc>()
            .unwrap_err()
            .contains("modified_following")
    );

    let fs = [
        ("monthly", Frequency::Monthly, 1, 12),
        ("quarterly", Frequency::Quarterly, 3, 4),
        ("semiannual", Frequency::Semiannual, 6, 2),
        ("annual", Frequency::Annual, 12, 1),
    ];
    for (s, f, months, per_year) in fs {
        assert_eq!(f.name(), s);
        assert_eq!(s.parse::<Frequency>(), Ok(f));
        assert_eq!(f.months(), months);
        assert_eq!(f.per_year(), per_year);
    }
    assert!(
        "weekly"
            .parse::<Frequency>()
            .unwrap_err()
            .contains("semiannual")
    );
}

// ---------------------------------------------------------------- add_months

#[test]
fn add_months_clamps_and_keeps_month_end() {
    // Jan 31 + 1 month: Feb 29 in leap 2024, Feb 28 in 2023 (with or without month-end rule).
    assert_eq!(add_months(d(2024, 1, 31), 1, false), Some(d(2024, 2, 29)));
    assert_eq!(add_months(d(2023, 1, 31), 1, false), Some(d(2023, 2, 28)));
    assert_eq!(add_months(d(2024, 1, 31), 1, true), Some(d(2024, 2, 29)));
    // Feb 28 2023 is a month end: with the rule → Mar 31; without → Mar 28.
    assert!(is_month_end(d(2023, 2, 28)));
    assert_eq!(add_months(d(2023, 2, 28), 1, true), Some(d(2023, 3, 31)));
    assert_eq!(add_months(d(2023, 2, 28), 1, false), Some(d(2023, 3, 28)));
    // Feb 28 2024 is not a month end (leap year): the rule does not apply.
    assert!(!is_month_end(d(2024, 2, 28)));
    assert_eq!(add_months(d(2024, 2, 28), 1, true), Some(d(2024, 3, 28)));
    // Negative n: Mar 31 − 1 → Feb 29 (2024); Mar 31 − 13 → Feb 28 (2023);
    // Apr 30 − 2 with the rule → Feb 29 2024, then Feb 29 2024 − 12 with the rule → Feb 28 2023.
    assert_eq!(add_months(d(2024, 3, 31), -1, false), Some(d(2024, 2, 29)));
    assert_eq!(add_months(d(2024, 3, 31), -13, false), Some(d(2023, 2, 28)));
    assert_eq!(add_months(d(2024, 4, 30), -2, true), Some(d(2024, 2, 29)));
    assert_eq!(add_months(d(2024, 2, 29), -12, true), Some(d(2023, 2, 28)));
    // Apr 30 + 1 with the rule → May 31; without → May 30.
    assert_eq!(add_months(d(2024, 4, 30), 1, true), Some(d(2024, 5, 31)));
    assert_eq!(add_months(d(2024, 4, 30), 1, false), Some(d(2024, 5, 30)));
    // Year roll-over both ways.
    assert_eq!(add_months(d(2024, 11, 15), 3, false), Some(d(2025, 2, 15)));
    assert_eq!(add_months(d(2024, 1, 15), -1, false), Some(d(2023, 12, 15)));
    assert_eq!(add_months(d(2024, 1, 15), 0, true), Some(d(2024, 1, 15)));
}

// ---------------------------------------------------------------- payment_dates

fn unadjusted(v: &[ScheduledDate]) -> Vec<NaiveDate> {
    v.iter().map(|s| s.unadjusted).collect()
}

#[test]
fn quarterly_from_march_31_keeps_month_ends() {
    let cal = Calendar::weekends_only();
    let v = payment_dates(
        d(2024, 3, 31),
        Frequency::Quarterly,
        d(2024, 12, 31),
        &cal,
        Bdc::Unadjusted,
    );
    assert_eq!(
        unadjusted(&v),
        vec![
            d(2024, 3, 31),
            d(2024, 6, 30),
            d(2024, 9, 30),
            d(2024, 12, 31)
        ]
    );
}

#[test]
fn monthly_from_january_31_does_not_drift() {
    let cal = Calendar::weekends_only();
    let v = payment_dates(
        d(2024, 1, 31),
        Frequency::Monthly,
        d(2024, 7, 31),
        &cal,
        Bdc::Unadjusted,
    );
    assert_eq!(
        unadjusted(&v),
        vec![
            d(2024, 1, 31),
            d(2024, 2, 29),
            d(2024, 3, 31),
            d(2024, 4, 30),
            d(2024, 5, 31),
            d(2024, 6, 30),
            d(2024, 7, 31)
        ]
    );
    // Non-month-end start on the 30th: Jan 30 → Feb 29 (clamped) → Mar 30, not Mar 29.
    let v = payment_dates(
        d(2024, 1, 30),
        Frequency::Monthly,
        d(2024, 3, 30),
        &cal,
        Bdc::Unadjusted,
    );
    assert_eq!(
        unadjusted(&v),
        vec![d(2024, 1, 30), d(2024, 2, 29), d(2024, 3, 30)]
    );
}

#[test]
fn payment_dates_adjust_over_national_day() {
    let cal = cn();
    // Quarterly on the 7th. 2024-04-07 is a worked Sunday (清明 调休) → unchanged;
    // 2024-07-07 is an ordinary Sunday → Monday 07-08; 2024-10-07 is a National Day
    // holiday → Tuesday 10-08; 2025-01-07 is a Tuesday → unchanged. `last` is inclusive.
    let v = payment_dates(
        d(2024, 4, 7),
        Frequency::Quarterly,
        d(2025, 1, 7),
        &cal,
        Bdc::Following,
    );
    let expected = [
        (d(2024, 4, 7), d(2024, 4, 7)),
        (d(2024, 7, 7), d(2024, 7, 8)),
        (d(2024, 10, 7), d(2024, 10, 8)),
        (d(2025, 1, 7), d(2025, 1, 7)),
    ];
    assert_eq!(v.len(), expected.len());
    for (s, (u, a)) in v.iter().zip(expected) {
        assert_eq!((s.unadjusted, s.adjusted), (u, a));
    }
    // Monthly month-end dates in 2023 with modified following: 2023-09-30 → 09-28 (see
    // modified_following_rolls_back_at_month_end); 2023-12-31 (Sunday) → Friday 12-29.
    let v = payment_dates(
        d(2023, 8, 31),
        Frequency::Monthly,
        d(2023, 12, 31),
        &cal,
        Bdc::ModifiedFollowing,
    );
    let adj: Vec<NaiveDate> = v.iter().map(|s| s.adjusted).collect();
    // 2023-08-31 Thu; 2023-10-31 Tue; 2023-11-30 Thu.
    assert_eq!(
        adj,
        vec![
            d(2023, 8, 31),
            d(2023, 9, 28),
            d(2023, 10, 31),
            d(2023, 11, 30),
            d(2023, 12, 29)
        ]
    );
}

#[test]
fn payment_dates_edge_cases() {
    let cal = Calendar::weekends_only();
    // first > last: only first is returned.
    let v = payment_dates(
        d(2024, 6, 30),
        Frequency::Annual,
        d(2024, 1, 1),
        &cal,
        Bdc::Following,
    );
    assert_eq!(
        v,
        vec![ScheduledDate {
            unadjusted: d(2024, 6, 30),
            adjusted: d(2024, 7, 1)
        }]
    );
    // Semiannual from 2024-02-29 (a month end): 08-31, 2025-02-28, 2025-08-31.
    let v = payment_dates(
        d(2024, 2, 29),
        Frequency::Semiannual,
        d(2025, 8, 31),
        &cal,
        Bdc::Unadjusted,
    );
    assert_eq!(
        unadjusted(&v),
        vec![
            d(2024, 2, 29),
            d(2024, 8, 31),
            d(2025, 2, 28),
            d(2025, 8, 31)
        ]
    );
    // `last` between two dates excludes the later one.
    let v = payment_dates(
        d(2024, 1, 15),
        Frequency::Quarterly,
        d(2024, 10, 14),
        &cal,
        Bdc::Unadjusted,
    );
    assert_eq!(
        unadjusted(&v),
        vec![d(2024, 1, 15), d(2024, 4, 15), d(2024, 7, 15)]
    );
}

// ---------------------------------------------------------------- payment days

/// The text of `tests/bad_deals/valid/w48-payment-on-a-worked-sunday.toml`.
fn w48() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/bad_deals/valid/w48-payment-on-a-worked-sunday.toml"
    );
    std::fs::read_to_string(path).expect("w48 deal")
}

/// `tests/bad_deals/valid/w48-payment-on-a-worked-sunday.toml` with `business_day` and
/// `payment_days` set: its third payment date is Sunday 2024-09-29, a working day for National
/// Day 2024 (国办发明电〔2023〕7号: 9月29日(星期日)上班) on which the exchanges are closed.
fn worked_sunday_deal(business_day: &str, payment_days: Option<&str>) -> ipabs::validate::Loaded {
    let src = w48();
    let mut keys = format!("business_day = \"{business_day}\"\n");
    if let Some(p) = payment_days {
        keys.push_str(&format!("payment_days = \"{p}\"\n"));
    }
    let src = src.replacen("business_day = \"unadjusted\"\n", &keys, 1);
    ipabs::validate::deal_from_str("w48.toml", &src).expect("the deal loads")
}

fn checks(loaded: &ipabs::validate::Loaded) -> Vec<&'static str> {
    loaded.warnings.iter().map(|w| w.check.name()).collect()
}

/// On business days (the default) the worked Sunday stays a payment date, with a
/// `payment_not_trading_day` warning; with `payment_days = "trading"` `following` moves it to
/// Monday 2024-09-30 and nothing is warned. Tranche M (bullet, 300,000 at 5%, ACT/365F) accrues
/// from 2024-07-01: to the Sunday 90 days, 300,000 × 0.05 × 90 / 365 = 3,698.630… → 3,698.63;
/// to the Monday 91 days, 300,000 × 0.05 × 91 / 365 = 3,739.726… → 3,739.73.
#[test]
fn payment_days_trading_moves_a_worked_sunday_to_monday() {
    let m_interest = |loaded: &ipabs::validate::Loaded| {
        let deal = &loaded.deal;
        let r = ipabs::engine::run(deal, &deal.scenario).expect("runs");
        let row = r
            .tranche_flows
            .iter()
            .find(|t| t.period == 3 && t.tranche.as_str() == "M")
            .expect("M's third row")
            .clone();
        (row.payment_date, row.interest_due)
    };

    let business = worked_sunday_deal("following", None);
    assert_eq!(business.deal.periods[2].date(), d(2024, 9, 29));
    assert_eq!(checks(&business), ["payment_not_trading_day"]);
    let w = &business.warnings[0];
    assert!(
        w.location.ends_with("deal.payment_dates[2]"),
        "{}",
        w.location
    );
    assert!(
        w.message.contains("payment_days = \"trading\""),
        "{}",
        w.message
    );
    assert_eq!(m_interest(&business), (d(2024, 9, 29), dec!(3698.63)));

    let trading = worked_sunday_deal("following", Some("trading"));
    assert_eq!(trading.deal.periods[2].payment.unadjusted, d(2024, 9, 29));
    assert_eq!(trading.deal.periods[2].date(), d(2024, 9, 30));
    // The first two dates (Monday 2024-04-01, Monday 2024-07-01) are trading days: unmoved.
    assert_eq!(trading.deal.periods[0].date(), d(2024, 4, 1));
    assert_eq!(trading.deal.periods[1].date(), d(2024, 7, 1));
    // The target date 2024-09-29 is the unadjusted form of the payment date: no warning.
    assert!(checks(&trading).is_empty(), "{:?}", trading.warnings);
    assert_eq!(m_interest(&trading), (d(2024, 9, 30), dec!(3739.73)));
}

/// `unadjusted` with `payment_days = "trading"` keeps the Sunday, and says it is no business
/// day of the trading-day calendar (`holiday_payment`), instead of `payment_not_trading_day`.
#[test]
fn unadjusted_trading_payment_on_a_worked_sunday_is_a_holiday_payment() {
    let loaded = worked_sunday_deal("unadjusted", Some("trading"));
    assert_eq!(loaded.deal.periods[2].date(), d(2024, 9, 29));
    assert_eq!(checks(&loaded), ["holiday_payment"]);
    assert!(
        loaded.warnings[0]
            .message
            .contains("CN trading days calendar"),
        "{}",
        loaded.warnings[0].message
    );
    // An unknown spelling is an error at its key, with the choices.
    let src = w48().replacen(
        "calendar = \"CN\"\n",
        "calendar = \"CN\"\npayment_days = \"exchange\"\n",
        1,
    );
    let Err(err) = ipabs::validate::deal_from_str("w48.toml", &src) else {
        panic!("an unknown payment_days is refused");
    };
    let err = err.to_string();
    assert!(err.contains("deal.payment_days"), "{err}");
    assert!(err.contains("business, trading"), "{err}");
}

/// The messages and the notice say when a date is no trading day, and how it was moved
/// (review 26a items L1–L3).
#[test]
fn trading_day_messages_and_the_notice_remark() {
    // L3: the notice of the worked Sunday marks it; on trading days the Monday is not marked.
    let business = worked_sunday_deal("following", None);
    let run = ipabs::engine::run(&business.deal, &business.deal.scenario).expect("runs");
    let text = ipabs::output::table::notice_text(
        &business.deal,
        &business.deal.scenario,
        &run,
        3,
        "预测 (projected)",
    );
    assert!(
        text.contains("* 兑付日 (payment date): 2024-09-29 (注: 非交易日"),
        "{text}"
    );
    let trading = worked_sunday_deal("following", Some("trading"));
    let run = ipabs::engine::run(&trading.deal, &trading.deal.scenario).expect("runs");
    let text = ipabs::output::table::notice_text(
        &trading.deal,
        &trading.deal.scenario,
        &run,
        3,
        "预测 (projected)",
    );
    assert!(
        text.contains("* 兑付日 (payment date): 2024-09-30\n"),
        "{text}"
    );

    // L1: a Saturday the deal itself makes a working day (2024-03-16 is no 调休 day of the CN
    // calendar) is named as the deal's, not as an adjusted working weekend.
    let src = w48();
    let saturday = src
        .replacen(
            "2024-04-01, 2024-07-01, 2024-09-29",
            "2024-03-16, 2024-07-01, 2024-09-30",
            1,
        )
        .replacen("date = 2024-09-29", "date = 2024-09-30", 1)
        .replacen(
            "calendar = \"CN\"\n",
            "calendar = \"CN\"\nextra_working_days = [2024-03-16]\n",
            1,
        );
    let loaded = ipabs::validate::deal_from_str("sat.toml", &saturday).expect("loads");
    let w: Vec<&str> = loaded.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("2024-03-16 (Sat), a working day the deal adds (extra_working_days)"),
        "{}",
        w[0]
    );

    // L2: on trading days the worked Sunday 2024-09-29 and Monday 2024-09-30 fall on one day,
    // and the error says the dates were moved on trading days.
    let clash = src
        .replacen(
            "2024-04-01, 2024-07-01, 2024-09-29",
            "2024-07-01, 2024-09-29, 2024-09-30",
            1,
        )
        .replacen(
            "calendar = \"CN\"\n",
            "calendar = \"CN\"\npayment_days = \"trading\"\n",
            1,
        )
        .replacen(
            "business_day = \"unadjusted\"",
            "business_day = \"following\"",
            1,
        );
    let Err(e) = ipabs::validate::deal_from_str("clash.toml", &clash) else {
        panic!("two dates on one day are refused");
    };
    let e = e.to_string();
    assert!(
        e.contains(
            "payment dates 2 (2024-09-29) and 3 (2024-09-30) both fall on 2024-09-30 after \
             `following` adjustment on trading days"
        ),
        "{e}"
    );
}

/// `accrual_dates = "unadjusted"` (顺延期间不另计利息, review 26d item M1): interest accrues
/// between the scheduled dates though the payment moves. The worked-Sunday deal on trading
/// days pays period 3 on Monday 2024-09-30, but M (300,000 at 5%) accrues from 2024-07-01 to
/// the scheduled Sunday 2024-09-29: 90 days, 300,000 × 0.05 × 90 / 365 = 3,698.630… →
/// 3,698.63, not the 91 days' 3,739.73 of `payment_days_trading_moves_a_worked_sunday_to_monday`.
#[test]
fn accrual_between_the_scheduled_dates() {
    let src = w48()
        .replacen(
            "business_day = \"unadjusted\"\n",
            "business_day = \"following\"\n",
            1,
        )
        .replacen(
            "calendar = \"CN\"\n",
            "calendar = \"CN\"\npayment_days = \"trading\"\naccrual_dates = \"unadjusted\"\n",
            1,
        );
    let loaded = ipabs::validate::deal_from_str("w48.toml", &src).expect("loads");
    let deal = &loaded.deal;
    let p3 = deal.periods[2];
    assert_eq!(
        (p3.date(), p3.accrual_start, p3.accrual_end),
        (d(2024, 9, 30), d(2024, 7, 1), d(2024, 9, 29))
    );
    let r = ipabs::engine::run(deal, &deal.scenario).expect("runs");
    let m = r
        .tranche_flows
        .iter()
        .find(|t| t.period == 3 && t.tranche.as_str() == "M")
        .expect("M's third row");
    assert_eq!(
        (m.payment_date, m.interest_due),
        (d(2024, 9, 30), dec!(3698.63))
    );
    let text = ipabs::output::table::notice_text(deal, &deal.scenario, &r, 3, "预测 (projected)");
    assert!(
        text.contains(
            "2024-07-01 至 2024-09-29, 90 天 (days); 计息基准 (day count) ACT/365F: 90/365"
        ),
        "{text}"
    );
    let bad = src.replacen(
        "accrual_dates = \"unadjusted\"",
        "accrual_dates = \"scheduled\"",
        1,
    );
    let Err(e) = ipabs::validate::deal_from_str("w48.toml", &bad) else {
        panic!("an unknown spelling is refused");
    };
    assert!(e.to_string().contains("deal.accrual_dates"), "{e}");
}

/// With `payment_days = "trading"` a collection lag in business days counts trading days (review
/// 26d item L2): one day before Monday 2024-09-30 is Friday 09-27 on trading days, where the
/// CN calendar's business days give the worked Sunday 09-29.
#[test]
fn a_business_day_lag_counts_trading_days_with_trading_payment_days() {
    let src = w48()
        .replacen(
            "business_day = \"unadjusted\"\n",
            "business_day = \"following\"\n",
            1,
        )
        .replacen(
            "collection_lag_days = 0\n",
            "collection_lag_business_days = 1\n",
            1,
        )
        .replacen(
            "calendar = \"CN\"\n",
            "calendar = \"CN\"\npayment_days = \"trading\"\n",
            1,
        );
    let loaded = ipabs::validate::deal_from_str("w48.toml", &src).expect("loads");
    let p3 = loaded.deal.periods[2];
    assert_eq!(p3.date(), d(2024, 9, 30));
    assert_eq!(p3.collection_end, d(2024, 9, 27));
    assert_eq!(
        Calendar::china().add_business_days(d(2024, 9, 30), -1),
        d(2024, 9, 29)
    );
}

/// `collection_end = "previous_month_end"` (计算日 at the month end before each payment date;
/// since session 30, review 29b): a quarterly deal paying on the 26th collects to each
/// quarter's end. By hand: payment dates 2024-10-26 (Saturday → Monday 10-28), 2025-01-26
/// (a Sunday, but a working day: 调休 before the Spring Festival), 2025-04-26 (Saturday →
/// Sunday 04-27, a working day before May Day) on the CN calendar (docs/calendar.md); the
/// collection periods run 07-01 to 09-30, 10-01 to 12-31 and 2025-01-01 to 03-31. The
/// receivable due 2024-10-10, after the quarter's end and before the first payment date, is
/// collected in period 2, and the one due 2025-01-05 in period 3: 100,000 / 200,000 / 300,000.
/// With no lag the periods end on the payment dates: period 1 (to 10-28) collects the first
/// two, period 2 (to 2025-01-26) the third: 300,000 / 300,000 / 0.
#[test]
fn collection_periods_end_at_the_month_end_before_the_payment_date() {
    let src = |collection: &str| {
        format!(
            r#"
[deal]
name = "month ends"
cutoff_date = 2024-06-30
closing_date = 2024-07-01
first_payment_date = 2024-10-26
frequency = "quarterly"
legal_maturity = 2025-04-30
{collection}

[[obligors]]
name = "O1"
[[obligors.assets]]
kind = "receivable"
amount = 100000
due_date = 2024-09-15
[[obligors.assets]]
kind = "receivable"
amount = 200000
due_date = 2024-10-10
[[obligors.assets]]
kind = "receivable"
amount = 300000
due_date = 2025-01-05

[[tranches]]
name = "A"
class = "senior"
balance = 500000
coupon = 0

[[tranches]]
name = "B"
class = "subordinated"
balance = 100000
coupon = 0

[waterfalls]
normal = [
  {{ action = "pay_principal", tranches = ["A"] }},
  {{ action = "pay_principal", tranches = ["B"] }},
  {{ action = "pay_residual", tranche = "B" }},
]
"#
        )
    };
    let run = |collection: &str| {
        let loaded = ipabs::validate::deal_from_str("month_ends.toml", &src(collection))
            .unwrap_or_else(|e| panic!("{e}"));
        let d = loaded.deal;
        let r = ipabs::engine::run(&d, &d.scenario).unwrap_or_else(|e| panic!("{e}"));
        let windows: Vec<_> = d
            .periods
            .iter()
            .map(|p| (p.date(), p.collection_start, p.collection_end))
            .collect();
        let cash: Vec<Decimal> = r.periods.iter().map(|p| p.pool_cash).collect();
        (windows, cash)
    };
    let (windows, cash) = run("collection_end = \"previous_month_end\"");
    assert_eq!(
        windows,
        [
            (d(2024, 10, 28), d(2024, 7, 1), d(2024, 9, 30)),
            (d(2025, 1, 26), d(2024, 10, 1), d(2024, 12, 31)),
            (d(2025, 4, 27), d(2025, 1, 1), d(2025, 3, 31)),
        ]
    );
    assert_eq!(cash, [dec!(100000), dec!(200000), dec!(300000)]);
    let (_, cash) = run("");
    assert_eq!(cash, [dec!(300000), dec!(300000), dec!(0)]);

    // The same month ends listed (`collection_ends`, since session 31) give the same periods
    // and cash.
    let listed = run("collection_ends = [2024-09-30, 2024-12-31, 2025-03-31]");
    assert_eq!(
        listed,
        (windows, vec![dec!(100000), dec!(200000), dec!(300000)])
    );
    // An offering circular's irregular 计算日: 2024-09-15, 2025-01-10, 2025-03-31. Period 1
    // collects 07-01..09-15 (the 100,000 due 09-15, on its last day); period 2 collects
    // 09-16..2025-01-10 (the 200,000 due 10-10 and the 300,000 due 01-05); period 3 collects
    // nothing (01-11..03-31).
    let (windows, cash) = run("collection_ends = [2024-09-15, 2025-01-10, 2025-03-31]");
    assert_eq!(
        windows,
        [
            (d(2024, 10, 28), d(2024, 7, 1), d(2024, 9, 15)),
            (d(2025, 1, 26), d(2024, 9, 16), d(2025, 1, 10)),
            (d(2025, 4, 27), d(2025, 1, 11), d(2025, 3, 31)),
        ]
    );
    assert_eq!(cash, [dec!(100000), dec!(500000), dec!(0)]);
}
