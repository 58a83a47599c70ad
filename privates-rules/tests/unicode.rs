//! The word-character table against Unicode's General_Category, for every code point.

use privates_rules::filename::is_word;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

#[test]
fn is_word_is_letter_or_number_or_underscore() {
    for c in (0..=0x0010_FFFF_u32).filter_map(char::from_u32) {
        let expected = c == '_'
            || matches!(
                c.general_category_group(),
                GeneralCategoryGroup::Letter | GeneralCategoryGroup::Number
            );
        assert_eq!(is_word(c), expected, "U+{:04X}", u32::from(c));
    }
}
