/**
 * The normaliser's word tables: SMS shorthand, phrase → concept rules, stop words and everyday words.
 *
 * Kept apart from the pipeline (normalise.ts) so that teaching the bot a new way patients say something is a
 * data change a reviewer can read: add a phrase to the right rule, run `npm run kb:eval`, done. Concept tokens end
 * in "x" (or are plain domain words such as "password"), and none contains another, because fuse.js matches inside
 * words.
 */

/**
 * Texting shorthand and abbreviations, mapped to the plain words the rest of the pipeline knows. Kept as a table
 * (not regexes) so a reviewer can see at a glance what is expanded. Multi-word phrases ("sign in" → login) are
 * handled later by `applyPhrases`; this table is only for single tokens.
 */
export const SHORTHAND: Readonly<Record<string, string>> = {
  u: 'you', ur: 'your', urs: 'yours', r: 'are', y: 'why', ya: 'you', n: 'and', k: 'ok', kk: 'ok',
  pls: 'please', plz: 'please', plez: 'please', pleas: 'please', pleeze: 'please', plse: 'please',
  thx: 'thanks', thnx: 'thanks', ty: 'thanks', tx: 'thanks',
  cnt: 'cant', cannt: 'cant', cannot: 'cant', cant: 'cant', carnt: 'cant', caint: 'cant', couldnt: 'cant',
  dont: 'dont', dnt: 'dont', doesnt: 'doesnt', dosent: 'doesnt', dosnt: 'doesnt', wont: 'wont', isnt: 'isnt',
  didnt: 'didnt', didint: 'didnt', havent: 'havent', hasnt: 'hasnt', wasnt: 'wasnt', arent: 'arent',
  idk: 'i dont know', dunno: 'dont know', idr: 'i dont remember', nvm: 'never mind', nm: 'never mind',
  im: 'i am', ive: 'i have', its: 'it is', whats: 'what is', wats: 'what is',
  wat: 'what', wht: 'what', hw: 'how', hows: 'how is', wheres: 'where is', whos: 'who is', thats: 'that is',
  pw: 'password', pwd: 'password', pwrd: 'password', pword: 'password', passwd: 'password', pswd: 'password',
  pswrd: 'password', pass: 'password', passcode: 'password', passwrd: 'password', passwords: 'password',
  un: 'username', usr: 'username', usrname: 'username', uname: 'username', userid: 'username', usernames: 'username',
  loginid: 'username', logon: 'login', signin: 'login', signon: 'login', logins: 'login',
  acct: 'account', acc: 'account', accnt: 'account', acount: 'account', accts: 'account',
  signup: 'enroll', enrol: 'enroll', reg: 'register',
  appt: 'appointment', appts: 'appointment', apt: 'appointment', rx: 'prescription', meds: 'medication',
  dr: 'doctor', doc: 'doctor', dob: 'dateofbirth', bday: 'birthday',
  msg: 'message', msgs: 'message', txt: 'text', info: 'information', num: 'number', nbr: 'number',
  yrs: 'years', yr: 'year', mos: 'months', wk: 'week', wks: 'weeks', hrs: 'hours', hr: 'hour', mins: 'minutes',
  tmrw: 'tomorrow', tmr: 'tomorrow', tom: 'tomorrow', '2day': 'today', '2morrow': 'tomorrow', b4: 'before',
  rite: 'right', hevy: 'heavy', '2': 'to', '4': 'for', in2: 'into', on2: 'onto', thru: 'through', bc: 'because', cuz: 'because', cos: 'because',
  coz: 'because', w: 'with', wo: 'without', abt: 'about', bout: 'about', ppl: 'people', sum1: 'someone',
  some1: 'someone', any1: 'anyone', every1: 'everyone', gonna: 'going to', wanna: 'want to', gotta: 'got to',
  ok: 'ok', okay: 'ok', temp: 'temporary', tho: 'though', rn: 'right now', asap: 'now', ppw: 'password',
  emails: 'email',
  iphone: 'iphone', ipad: 'ipad', cellphone: 'cell phone', smartphone: 'smart phone',
  password1: 'common password', password123: 'common password', '123456': 'common password', '12345678': 'common password',
  qwerty: 'common password', abc123: 'common password', letmein: 'common password', welcome1: 'common password',
  xray: 'xray', covid19: 'covid', hi: 'hi', hii: 'hi', hiii: 'hi', heyy: 'hey', heyyy: 'hey', helo: 'hello',
};

/**
 * A phrase rule rewrites a run of (stemmed) words into concept tokens. Patterns are plain text:
 *  - words separated by spaces must appear in order;
 *  - `a|b|c_d` is a slot with alternatives, `_` joining a multi-word alternative ("do_not");
 *  - between slots, filler words ("a", "my", "verified", …) may always sit; `~` also lets one other word sit
 *    there and `~2` two ("no longer have *access* to my email").
 * Rules are tried in order at each position, so the specific ones ("forget it" → cancel) come before the general
 * ones ("forget" → forgot). Concept tokens are spelt so that none contains another as a substring (fuse.js matches
 * inside words).
 */
export interface PhraseRule {
  pattern: string;
  emit: string;
}

const NEG = 'no|not|dont|do_not|doesnt|does_not|didnt|did_not|never|without|cant|havent|hasnt|isnt|wasnt|wont';
const EMAIL = 'email|email_address|e_mail|mail|mail_address|email_account|email_adress|email_addy|gmail|yahoo|hotmail|outlook|aol|gmail_account|yahoo_account|hotmail_account|outlook_account|aol_account';

/** The concept rules, most specific first. See `PhraseRule` for the syntax. */
export const PHRASE_RULES: readonly PhraseRule[] = [
  // --- things that must win over the general rules below -------------------------------------------------------
  // "hello? anyone there": a greeting checking someone is listening, not a request for staff.
  { pattern: 'hi|hello|hey|hiya|helo|good_morning|good_afternoon|good_evening ~2 anyone_there|anybody_there|someone_there|somebody_there|is_anyone_there|is_anybody_there|is_someone_there|you_there|are_you_there|anyone_here|anybody_home', emit: 'greetx' },
  // An apology for one's English ("sorry my english is not good") is not a problem with the portal.
  { pattern: 'english|language|grammar|spelling|typing ~2 not_good|not_so_good|not_very_good|not_great|not_perfect|no_good|is_bad|so_bad|very_bad|bad|poor|broken|not_my_first_language|is_not_my_first_language|isnt_my_first_language|my_second_language', emit: 'sorry' },
  { pattern: 'bad|poor|broken ~ english|grammar|spelling', emit: 'sorry' },
  // "I sent my enrollment request and nothing happened / haven't heard back": waiting for the practice's approval.
  { pattern: 'signup|sign_up|signed_up|registration|register|registered|enrollment|enrolment|enroll|enrolled|join|portal ~2 request|requested|application|form ~4 nothing_happen|nothing_happens|nothing_happened|no_response|no_answer|no_reply|no_word|heard_nothing|havent_heard|not_heard|never_heard|didnt_hear|still_nothing|no_approval|no_confirmation', emit: 'enrollx pendingx' },
  // "I didn't get the reset link in my email": the password-reset email, not the email address itself.
  { pattern: 'didnt|never|havent|not|dont|wasnt|hasnt|no|cant_find ~ get|getting|receive|receiving|got|recieve|see ~ reset_link|reset_email|reset_password_link|reset_password_email|password_reset_link|password_reset_email|password_link|password_email|reset_mail|password_reset|reset', emit: 'notreceived email reset password' },
  { pattern: 'no_reset_email|no_reset_link|no_reset_mail|no_password_reset_email|no_password_reset_link|no_reset_password_email|no_reset_password_link|no_email_to_reset|no_link_to_reset', emit: 'notreceived email reset password' },
  // "still no email", "the email you were sending never showed up", "the message hasn't arrived": waiting for one, not without one.
  { pattern: 'still_no|still_havent_got|still_havent_gotten|still_didnt_get|still_dont_have|still_waiting_for|still_waiting_on ~ email|mail|e_mail|message|link', emit: 'notreceived email' },
  { pattern: 'email|mail|e_mail|message|link ~3 never|not|didnt|hasnt|havent|isnt|still_hasnt|still_not|still_isnt ~ show_up|arrive|come|came|here|turn_up|deliver', emit: 'notreceived email' },
  // "what sort of stuff can you help me with": asking what the bot is for.
  { pattern: 'what|which ~ sort_of|kind_of|kinds_of|sorts_of|type_of|types_of ~ thing|things|stuff|question|questions|topic|topics|issue|issues|problem|problems|help ~2 can_you|could_you|do_you|you_can|can_u|are_you_able|can_i_ask|can_i_get|can_this|does_this|you_help|you_handle|you_answer', emit: 'helpmenux' },
  { pattern: 'what_else_can_you|what_all_can_you|what_can_you_assist|how_can_you_assist|what_do_you_assist|what_are_you_able_to|what_can_you_help_me_with|what_can_you_help_with|what_things_can_you|what_stuff_can_you|how_can_you_help_me|how_are_you_able_to_help|what_do_you_know_about', emit: 'helpmenux' },
  { pattern: 'forget_it|forget_about_it|forget_this|forget_that|never_mind|nevermind|start_over|start_again|restart|start_from_scratch|go_back|cancel_this|cancel_that|quit|abort|exit|stop_this|stop_that|scratch_that', emit: 'cancelx' },
  { pattern: 'phone_number|cell_number|mobile_number|phone_no|telephone_number|home_phone', emit: 'phonenumber' },
  { pattern: 'zip_code|postal_code|area_code|billing_code|procedure_code|diagnosis_code|icd_code|cpt_code', emit: 'zipcode' },
  { pattern: 'call_me|call_me_back|call_back|callback|give_me_a_call|phone_me|ring_me|have_someone_call|contact_me', emit: 'talkx humanx' },
  { pattern: 'capital_of|capital_city|state_capital|capital_one', emit: 'capitalcity' },
  { pattern: 'capital_letter|capital|capitals|capitalization|capitalisation|capitalized|capitalize|capital_and_lowercase|upper_case|uppercase|lower_case|lowercase|case_sensitive|case_insensitive|not_case_sensitive|caps|upper|lower', emit: 'casex' },
  { pattern: 'special_character|special_char|special_symbol|symbol|symbols|punctuation|exclamation', emit: 'charx' },
  // "isnt doing anything", "nothing happens": a thing that fails without an error message.
  { pattern: 'nothing_happen|nothing_happens|nothing_happened|does_nothing|did_nothing|do_nothing|nothing_work|nothing_works|goes_nowhere|went_nowhere', emit: 'brokenx' },
  { pattern: 'not|doesnt|dont|isnt|wont|didnt|wasnt ~ do_anything|doing_anything|did_anything|happen|happening|load|loading|respond|responding|go_anywhere|going_anywhere', emit: 'brokenx' },
  // Long absence ("haven't been to the doctor in 3 years", "haven't logged in for ages"): why practices un-enroll.
  { pattern: 'havent_been_to|havent_been_in|havent_been_into|havent_visited|havent_seen|havent_gone_to|havent_gone_in|havent_come_in|havent_come_to|not_been_to|not_been_in|not_visited|hasnt_been_to|hasnt_been_in|hasnt_visited|hasnt_seen|stopped_going_to|stopped_seeing|been_away_from|stayed_away_from ~ doctor|practice|office|clinic|you|there|here|year|years|long_time|ages|month|months|while', emit: 'awayx' },
  { pattern: 'havent_logged_in|havent_logged_on|havent_logged_into|havent_signed_in|havent_signed_on|havent_signed_into|havent_used|havent_been_on|havent_been_onto|havent_accessed|havent_checked|havent_opened|havent_gone_on|hasnt_logged_in|hasnt_logged_on|hasnt_signed_in|hasnt_used|hasnt_been_on|not_logged_in|not_logged_on|not_signed_in|not_been_on', emit: 'awayx loginx' },
  { pattern: 'stopped_using|quit_using|been_a_long_time_since|been_a_while_since|been_years_since|been_ages_since|long_time_since|years_since', emit: 'awayx' },
  { pattern: 'moved_away|moved_back|been_away|was_away|been_gone|was_gone|been_abroad|was_abroad|lived_abroad|living_abroad|out_of_the_country|been_out_of_state|was_out_of_state', emit: 'awayx' },
  { pattern: 'in|for ~2 years|ages|decade|long_time|long_while', emit: 'awayx' },
  // "no idea where to start" is a how-do-I-begin question, not a forgotten credential.
  { pattern: 'no_idea|dont_know|do_not_know|not_sure|no_clue|unsure|confused_about ~ where|how ~ to|do_i|i_should|should_i ~ start|begin|get_started|sign_up|signup|join|enroll|register', emit: 'enrollx' },
  { pattern: 'where_to_start|how_to_start|where_to_begin|how_to_begin', emit: 'enrollx' },
  { pattern: 'where|how do|should|can|would i|we ~ start|begin|get_started', emit: 'enrollx' },
  // "what name she used to log me in": a name used for logging in is the username.
  { pattern: 'what_name|which_name|the_name|what_user|which_user ~2 use|used|log_in|login|logon|log_on|sign_in|sign_on|picked|pick|chose|chosen|choose|created|set_up|signed_up|registered|enrolled', emit: 'username' },
  { pattern: 'date_of_birth|dateofbirth|birth_date|birthdate|birthday|born|birth', emit: 'birthx' },
  { pattern: 'last_name|surname|family_name|maiden_name|lastname', emit: 'lastnamex' },
  { pattern: 'notification_email|notification_email_address|notification_address|notification|notify_email', emit: 'notifyaddr' },
  { pattern: 'account_settings|account_setting|settings|profile_setting|profile_settings|my_profile|preference|account_option|account_page', emit: 'settingx' },
  { pattern: 'security_question|secret_question|security_answer|challenge_question|security_q|secret_answer|security_qs', emit: 'secquestion' },
  { pattern: 'answer|answering|answered ~ question|questions', emit: 'secquestion' },
  { pattern: 'password_reset|reset|recovery ~ token|code|key|pin|number', emit: 'resetcode' },
  { pattern: 'password ~ token|code', emit: 'resetcode' },
  { pattern: 'password_reset_token|password_reset_code|reset_token|reset_code|password_token|password_code|reset_pin|reset_number|reset_key|recovery_token|recovery_code', emit: 'resetcode' },
  { pattern: 'token|code|key|pin ~3 to|for ~ reset|change ~ password', emit: 'resetcode' },
  { pattern: 'i_have_my_password_reset_token|i_have_my_reset_token|have_a_reset_token', emit: 'resetcode' },

  // --- which credential the patient still has: "I know my username but not my password" ----------------------
  { pattern: 'i_have|have|i_got|got|i_know|know|i_remember|remember|i_do_know|i_still_have|i_only_remember|only_remember|i_only_know|only_know|i_only_have|i_recall ~ password_reset|reset ~ token|code|pin', emit: 'resetcode' },
  { pattern: 'i_have_my|i_know_my|i_remember_my|i_do_know_my|i_still_have_my|i_still_know_my|i_only_remember_my|i_only_know_my|i_only_have_my|i_recall_my|i_still_remember_my|i_know_what_my|i_know_the|i_remember_the|i_have_the|only_remember_my|only_know_my|only_have_my username|user_name|user_id|login_name|login_id|userid', emit: 'hasusername' },
  { pattern: 'i_have_my|i_know_my|i_remember_my|i_do_know_my|i_still_have_my|i_still_know_my|i_only_remember_my|i_only_know_my|i_only_have_my|i_recall_my|i_still_remember_my|i_know_what_my|i_know_the|i_remember_the|i_have_the|only_remember_my|only_know_my|only_have_my password|pass_word', emit: 'haspassword' },
  { pattern: 'what_was|what_is|forgot|forget|forgotten|dont_remember|cant_remember|do_not_remember|cannot_remember|lost|dont_know|cant_recall ~ password|pass_word', emit: 'forgot password' },
  { pattern: 'what_was|what_is|forgot|forget|forgotten|dont_remember|cant_remember|do_not_remember|cannot_remember|lost|dont_know|cant_recall login|logon|log_in|sign_in|signin|login_info|login_information|login_detail|login_credential|sign_in_info|sign_in_detail', emit: 'forgot username' },
  { pattern: 'something_else|something_different|different_one|another_one|new_one', emit: 'separatex' },
  { pattern: 'email|email_address ~ as ~ username|user_name|login|login_name|user_id', emit: 'emailasusername' },
  { pattern: 'username|user_name|login_name|user_id ~ be ~ email|email_address', emit: 'emailasusername' },
  { pattern: 'what_kind_of|what_type_of|what_sort_of|which_kind_of|which_type_of|what_kinds_of|what_types_of password|pass_word|passwords', emit: 'rulex password' },
  { pattern: 'what_kind_of|what_type_of|what_sort_of|which_kind_of|which_type_of|what_kinds_of|what_types_of username|user_name|login_name|user_id', emit: 'rulex username' },
  { pattern: 'what_should_my|what_should_the|what_does_my|what_can_my|how_should_my|what_should_i_make_my|what_do_i_need_in_my ~ password ~ be|look_like|contain|include|have', emit: 'rulex password' },
  { pattern: 'what_should_my|what_should_the|what_does_my|what_can_my|how_should_my|what_should_i_make_my ~ username|user_name ~ be|look_like|contain|include|have', emit: 'rulex username' },
  { pattern: 'get_a_username_and_password|get_username_and_password|get_login_credentials|get_login_information|get_a_login', emit: 'enrollx username password' },
  { pattern: 'get_a_username|get_a_user_name|create_a_username|create_username|creating_a_username|create_a_login|create_a_user_name|make_a_username|set_up_a_username|choose_a_username|choosing_a_username|pick_a_username|picking_a_username|get_a_portal_username', emit: 'enrollx username' },
  // A password rejected "when I make it" fails the rules; one rejected at log-in is forgotten or wrong.
  { pattern: 'when|while|as i ~ make|making|create|creating|choose|choosing|pick|picking|set|setting|type_a_new|making_up|make_up|come_up_with ~ it|one|password|pass_word|new_one|new_password|account|username|user_name', emit: 'rulex' },
  { pattern: 'not_strong|not_strong_enough|too_weak|too_simple|too_common|too_short|too_long|not_long_enough|not_complex_enough|not_secure_enough|too_easy|too_easy_to_guess', emit: 'strengthx brokenx' },

  { pattern: 'change|changed|update|modify|edit|switch|switched|new|set_a_new|set_new|create_a_new|choose_a_new|make_a_new|pick_a_new|get_a_new ~ password|pass_word', emit: 'reset password' },
  { pattern: 'password|pass_word ~ has_to_have|have_to_have|has_to_contain|have_to_contain|must_have|must_contain|need_to_have|needs_to_have|has_to_include|must_include|should_have|should_contain|needs_to_contain|need_to_contain', emit: 'password rulex' },

  // --- "do I have to give an email to sign up": a question about whether email is required, not an invitation ----
  { pattern: `have_to|has_to|need_to|needs_to|must|required_to|supposed_to|obligated_to ~ give|provide|enter|add|have|use|supply|put|include|list|own|create|verify ~ ${EMAIL}`, emit: 'requiredx email' },
  { pattern: `leave|left|skip|skipping|omit|ignore|leave_out|not_fill_in|not_fill_out ~2 ${EMAIL} ~ blank|empty|field|box|part|section|out|off`, emit: 'requiredx email' },
  { pattern: `leave|left|skip|skipping|omit|ignore|leave_out ~2 ${EMAIL}`, emit: 'requiredx email' },
  { pattern: `${EMAIL} ~ blank|empty|field_blank|box_blank|optional`, emit: 'requiredx email' },
  // "my wife has the portal, how do I get my own": wanting one's own account is enrolling.
  { pattern: 'get_my_own|want_my_own|need_my_own|make_my_own|create_my_own|set_up_my_own|open_my_own|have_my_own|get_their_own|get_his_own|get_her_own|get_our_own|own_separate', emit: 'enrollx portalx' },
  { pattern: 'get|getting|want|need|request|requesting|set_up|apply_for ~ online_access|web_access|internet_access|access_online|portal_access|online_account', emit: 'enrollx portalx' },

  // --- invitations: "you emailed me about the portal" is an enrollment email, not an email question ------------
  { pattern: 'emailed_me|texted_me|sent_me_an_email|sent_me_a_text|contacted_me|reached_out ~ about|regarding ~ portal|patient_portal|enroll|enrolling|joining|signing_up|registering', emit: 'invitex enrollx portalx' },
  { pattern: 'send_me|email_me|text_me|give_me|get_me|need|want|where_is ~ link|url ~ to|for ~ enroll|enrolling|enrollment|sign_up|signing_up|join|joining|register|registering|registration|portal', emit: 'invitex enrollx' },
  { pattern: 'emailed_me|email_me|sent_me|texted_me|mailed_me|sent ~ link|invite|invitation|enrollment_link|registration_link', emit: 'invitex' },
  { pattern: 'got|received|receive|get|have|was_sent|were_sent|they_sent|you_sent ~ email|mail|message|letter|text ~ to|about|for ~ enroll|enrolling|join|joining|sign_up|signing_up|register|registering|set_up|the_portal|portal', emit: 'invitex enrollx' },

  // --- email problems ------------------------------------------------------------------------------------------
  { pattern: `didnt|never|havent|not|dont|wasnt|isnt|arent|hasnt|wont|doesnt|no ~ get|getting|receive|receiving|got|recieve|arrive|arriving|come|coming|see|show_up|showing_up ~ ${EMAIL}|link|anything`, emit: 'notreceived email' },
  { pattern: `${EMAIL} ~ never|not|didnt|wasnt|hasnt|isnt ~ arrive|arriving|come|came|coming|show_up|showing_up|received|sent|deliver|there`, emit: 'notreceived email' },
  { pattern: `no_longer_have|no_longer_use|lost|lose|lost_access|dont_have_access|no_access|cant_access|cant_get_into|cant_get_to|cant_open|locked_out_of|cant_log_into|cant_login_to|cant_remember_the_password_for|hacked|deleted|closed|shut_down|lost_my_password_to ~2 ${EMAIL}`, emit: 'nomailbox' },
  { pattern: `${NEG}|no_longer|never_had|never_set_up|never_setup|never_gave|never_added|didnt_add|didnt_give|didnt_put|dont_use|doesnt_use|dont_do|doesnt_do|dont_own|doesnt_have|dont_have|not_have|no_verified ~ ${EMAIL}`, emit: 'nomailbox' },
  { pattern: `${EMAIL} ~ not_verified|unverified|isnt_verified|wasnt_verified|never_verified|not_confirmed|never_confirmed|isnt_confirmed|no_longer|doesnt_work|dont_work|not_work|old|changed|outdated|deleted|closed|hacked|gone|dont_use|dont_have|no_longer_valid|isnt_valid|not_valid|invalid|i_cant_access|i_lost|i_no_longer|not_on_file|is_not_on_file|isnt_on_file|doesnt_exist|dont_exist|no_longer_exist|not_exist|does_not_exist|no_good|not_good|bad|wrong|incorrect|not_right|not_current|not_correct|out_of_date|on_file_is_wrong|on_file_is_old|on_file_is_no_good`, emit: 'nomailbox' },
  { pattern: `unverified|old|former|previous|outdated ~ ${EMAIL} ~ doesnt_work|dont_work|not_work|no_longer_work|isnt_work|wont_work|not_valid|gone|bounce|bounced|dead|closed|deleted`, emit: 'nomailbox' },
  { pattern: `unverified|old|former|previous|outdated ~ ${EMAIL}`, emit: 'nomailbox' },
  { pattern: `never_verified|never_confirmed|didnt_verify|did_not_verify|not_verified|havent_verified|never_validated|forgot_to_verify ~ ${EMAIL}`, emit: 'nomailbox' },
  { pattern: 'without|no|dont_have|not_have ~ verified|confirmed ~ account', emit: 'nomailbox' },
  { pattern: `changed|switched|got_a_new|have_a_new|new|different ~ ${EMAIL}`, emit: 'nomailbox' },
  { pattern: 'change|update|edit|fix|correct|modify|wrong|incorrect|misspelled|outdated ~ email|email_address|phone_number|address|mailing_address|home_address|last_name|surname|date_of_birth|dob|dateofbirth|birthday|birthdate|gender|pronoun|insurance|pharmacy|emergency_contact|contact_info|contact_information|demographic|personal_information|personal_info|preferred_name|name_on_my_account|spelling_of_my_name|marital_status', emit: 'profilex' },
  { pattern: `${EMAIL}_on_file|${EMAIL}_address_on_file`, emit: 'email' },
  { pattern: `verified_account_email|verified_email|account_email|verified_email_address|confirmed_email|primary_email|${EMAIL}`, emit: 'email' },

  // --- account blocked -----------------------------------------------------------------------------------------
  { pattern: 'unenroll|unenrolled|unenrollment|un_enroll|un_enrolled|disenroll|disenrolled|unregister|unregistered|deregister|removed_from|taken_off|kicked_out|kicked_off|dropped_from|cut_off|shut_off|turned_off|switched_off|shut_down|closed_my_account|account_closed|account_was_closed|account_got_closed', emit: 'blockedx' },
  { pattern: 'blocked_off|block_off|blocked_out_for|block_of_time|time_block|blocked_time', emit: 'calendarx' },
  { pattern: 'block|blocked|blocking|locked|lock|lock_out|locked_out|lockout|disabled|disable|deactivated|deactivate|deactivation|suspended|suspend|suspension|inactive|inactivity|frozen|freeze|terminated|expired_account|dormant|closed_account|account_is_closed|account_closed', emit: 'blockedx' },
  { pattern: 'reactivate|reactivated|reactivation|re_activate|re_activated|reenable|re_enable|reinstate|reinstated|restore_my_account|unlock|unlocked|unblock|unblocked|turn_back_on|turned_back_on|back_on|reopen|re_open|turn_it_back_on|get_it_back_on', emit: 'blockedx' },
  { pattern: 'too_many_attempt|too_many_tries|too_many_failed|many_failed_attempt', emit: 'blockedx' },
  { pattern: 'remove|removed|kicked|booted|dropped ~ from|off|out_of', emit: 'blockedx' },
  { pattern: 'not|no_longer enroll|enrolled|registered|member|signed_up ~ anymore|any_more|now', emit: 'blockedx' },
  { pattern: 'no_longer ~ enroll|enrolled|registered|member|signed_up', emit: 'blockedx' },
  { pattern: 'not_active|no_longer_active|isnt_active|wasnt_active|not_enabled|no_longer_enabled|isnt_enabled|reenroll|reenrolled|reenrollment|re_enroll|re_enrolled|reregister|re_register|reregistered', emit: 'blockedx' },

  { pattern: 'log_out|logout|log_off|logoff|sign_out|signout|sign_off|signoff|logging_out|signing_out', emit: 'logoutx' },

  // --- username, password, login ---------------------------------------------------------------------------------
  { pattern: 'user_name|user_id|user_identification|username|login_name|login_id|logon_name|logon_id|log_in_name|log_in_id|log_on_name|sign_in_name|sign_in_id|screen_name|account_name|account_id|portal_id|portal_name|id_name|login_username|usename|usernam', emit: 'username' },
  { pattern: 'password|pass_word|passphrase|pass_code', emit: 'password' },
  { pattern: 'cant|cannot|unable_to|couldnt|not_able_to|cant_seem_to|still_cant ~ get_access|gain_access|access|get_into|get_in|get_on|log_in|login|log_into|sign_in|sign_into|logon|log_on|sign_on', emit: 'brokenx loginx' },
  { pattern: 'want_access|request_access|requesting_access|gain_access|get_access|need_access|like_access|apply_for_access|access_request|sign_up_for_access|want_to_get_on|need_to_get_on|want_to_use|need_to_use|like_to_use|start_using', emit: 'enrollx loginx' },
  { pattern: 'never_used|never_use|never_been_on|never_signed_up|never_logged_in|never_logged_on|never_registered|never_had_an_account|never_had_a_portal|first_time|new_to|new_patient|brand_new', emit: 'newuserx' },
  // "It says incorrect credentials": the log-in details as a whole.
  { pattern: 'login_credentials|login_credential|login_details|login_detail|credentials|credential', emit: 'loginx' },
  { pattern: 'log_in|login|log_into|log_onto|log_on|logon|sign_in|signin|sign_into|sign_on|signon|get_in|get_into|get_on|getting_in|access|acces|acess|login_in|log|logon_to', emit: 'loginx' },

  // "how do I get back on": regaining access (the cause, "unenrolled" or "forgot my password", says which entry).
  { pattern: 'get_back_on|get_back_in|get_back_into|getting_back_on|getting_back_in|getting_back_into|log_back_in|log_back_on|log_back_into|sign_back_in|sign_back_on|sign_back_into|go_back_in|go_back_on', emit: 'loginx' },
  // "I don't know how": a how-to question, not a forgotten credential ("I'm trying to make an account but don't know
  // how"); "don't know how to log in" stays a log-in problem.
  { pattern: 'dont_know_how|do_not_know_how|not_sure_how|no_idea_how|forgot_how|forgotten_how|cant_remember_how ~ to|i ~ login|log_in|sign_in|get_in|get_into|log_on|sign_on|access|logon', emit: 'forgot loginx' },
  { pattern: 'dont_know_how|do_not_know_how|not_sure_how|no_idea_how|dont_understand_how|unsure_how|dont_know_where|no_idea_where|not_sure_where', emit: 'how' },
  // "what username did I sign up with": asking for the username.
  { pattern: 'what|which username|user_name|login_name|user_id|login ~3 sign_up|signed_up|register|registered|use|used|enroll|enrolled|create|created|pick|picked|choose|chose|set_up|make|made', emit: 'forgot username' },
  // "Send me my username", "tell me my password" ask for a credential; "tell me how to enroll", "send me an invite" don't.
  { pattern: 'tell_me|send_me|send_my|email_me|text_me|give_me|remind_me_of|remind_me ~ username|user_name|login_name|user_id|login_id', emit: 'forgot username' },
  { pattern: 'tell_me|send_me|send_my|email_me|text_me|give_me|remind_me_of|remind_me ~ password|pass_word', emit: 'forgot password' },
  { pattern: 'tell_me|send_me|send_my|email_me|text_me|give_me|remind_me_of|remind_me ~ login|login_info|login_information|login_detail|credential|credentials', emit: 'forgot loginx' },
  // --- forgetting / recovering -----------------------------------------------------------------------------------
  { pattern: 'forgot|forget|forgotten|forgetful|forgetting|dont_remember|dont_recall|cant_remember|cant_recall|not_remember|no_remember|do_not_remember|dont_know|do_not_know|no_idea|no_clue|misplaced|misplace|lost|lose|cant_think_of|blank_on|blanking_on|cant_member|couldnt_remember|never_remember', emit: 'forgot' },
  { pattern: 'cant_find|cannot_find|couldnt_find|recover|recovery|retrieve|retrieval|look_up|lookup|get_back|find|find_out|remind|reminder|restore|obtain|figure_out|resend', emit: 'forgot' },
  { pattern: 'forgot|forget|forgotten|dont_remember|cant_remember|do_not_remember|cannot_remember|dont_know|cant_recall|not_sure ~ how_to|how_i|how_do_i ~ login|log_in|get_in|get_into|sign_in|sign_on|access|get_on|log_on|logon', emit: 'forgot loginx' },
  { pattern: 'reset|re_set|resetting|reseting', emit: 'reset' },
  { pattern: 'change|changed|update|modify|edit|rename|alter|switch|switched|replace|swap|customize|personalize|pick_a_different|choose_a_different|pick_a_new|choose_a_new', emit: 'changex' },

  // --- enrollment and tokens -------------------------------------------------------------------------------------
  { pattern: 'token_number|code_number|token|code|pin|pin_number|activation_code|activation_key|access_code|enrollment_code|invite_code|invitation_code|verification_code|registration_code|enrollment_key|enrollment_pin|slip|voucher', emit: 'tokenx' },
  { pattern: 'invite|invitation|invited|inviting|enrollment_link|enrolment_link|registration_link|signup_link|sign_up_link|invite_link|invitation_link|welcome_email|enrollment_email|enrollment_invitation', emit: 'invitex' },
  { pattern: 'sign_up|signup|signing_up|signed_up|register|registration|registering|regist|registr|enroll|enrollment|enrolment|enrolling|enrol|join|joining|set_up|setup|setting_up|create_an_account|create_account|create_a_new_account|make_an_account|make_account|open_an_account|new_account|get_an_account|get_started|getting_started|start_using|activate|activation|onboard|onboarding|sign_me_up|apply|begin|beginning|where_do_i_start|how_do_i_start', emit: 'enrollx' },
  { pattern: 'get|want|need|like|create|open|make|request|start ~2 account|portal_account|patient_account|online_account', emit: 'enrollx portalx' },
  { pattern: 'set|sets|setting|sign|signs|signing ~2 up', emit: 'enrollx' },
  { pattern: 'become_a|become ~ user|member|portal_user|portal_member', emit: 'enrollx' },
  { pattern: 'expired|expire|expiring|expiration|timed_out|time_out|outdated|no_longer_valid|too_old|old|already_used|already_been_used|used_already|been_used|was_used', emit: 'expiredx' },
  { pattern: 'approve|approved|approval|pending|waiting|awaiting|review|still_waiting|processing', emit: 'pendingx' },

  { pattern: 'stop_work|stopped_work|quit_work|stop_accept|stopped_accept', emit: 'brokenx' },
  { pattern: 'doesnt|dont|does_not|didnt|not|wont|fail|fails|failed|isnt ~ meet|meeting|satisfy|match|matching|follow ~ requirement|rule|criteria|policy|standard|guideline', emit: 'rulex brokenx' },
  // --- "not working" -----------------------------------------------------------------------------------------------
  { pattern: 'not|doesnt|dont|isnt|wont|didnt|cant|never|wasnt|arent|no_longer|no ~ work|working|worked|function|functioning|accept|accepted|accepting|take|taking|valid|recognize|recognized|go_through|going_through|let_me|letting_me|allow|allowing|right|correct|match|matching|good|succeed', emit: 'brokenx' },
  { pattern: 'invalid|incorrect|wrong|error|fail|failed|failure|failing|rejected|reject|denied|deny|broken|bad|unsuccessful|problem|issue|trouble|troubl|glitch|bug|stuck|unrecognized|unable|cant|mistake|unknown|keeps_saying|not_valid|no_good|not_found|cant_be_found|couldnt_be_found|doesnt_exist|does_not_exist|not_recognized|no_match|no_record|not_in_the_system', emit: 'brokenx' },

  // --- devices -----------------------------------------------------------------------------------------------------
  // A new device is the circumstance, not the problem: "new phone, do I need a new account?" is the mobile question,
  // "I got a new phone and forgot my password" is still a forgotten password.
  { pattern: 'new_phone|new_iphone|new_cell|new_cell_phone|new_smart_phone|new_tablet|new_ipad|new_android|new_device|new_mobile|new_laptop|new_computer|switched_phone|switched_phones|changed_phone|changed_phones|replaced_my_phone|upgraded_my_phone|phone_upgrade|different_phone|another_phone|different_device|another_device', emit: 'newdevicex' },
  { pattern: 'phone|cell|cell_phone|mobile|mobile_phone|smart_phone|smartphone|iphone|android|ipad|tablet|app|application|ios|galaxy|samsung|pixel|kindle|device|handheld|mobile_device|apple|google_play|app_store|play_store|on_the_go', emit: 'mobilex' },
  { pattern: 'computer|laptop|desktop|pc|mac|macbook|browser|chrome|safari|website|web_site|web|internet', emit: 'computerx' },
  { pattern: 'different|separate|another|second|extra|additional|new_separate|whole_new|same', emit: 'separatex' },

  // --- credential policy -------------------------------------------------------------------------------------------
  { pattern: 'requirement|require_for|rule|policy|criteria|criterion|guideline|standard|format|restriction|specification|spec|valid|acceptable|allowed|allow|permitted|can_contain|must_contain|must_have|need_to_contain|meet|meets|qualify', emit: 'rulex' },
  { pattern: 'how_long|length|long_enough|minimum|maximum|min|max|at_least|short|too_short|too_long|how_many', emit: 'lengthx' },
  { pattern: 'right_number|wrong_number|the_number|your_number|number_to_call|number_for|call_number|contact_number|fax_number|office_number|clinic_number|main_number', emit: 'phonenumber' },
  { pattern: 'character|letter|a_number|one_number|number_and|numbers|numeric|digit|numeral|space|spaces|whitespace|blank|alphanumeric|alpha_numeric', emit: 'charx' },
  { pattern: 'common|commonly|weak|strong|strength|complex|complexity|guess|guessable|easy_to_guess|hard_to_guess|simple|cross_mark|cross_marks|x_mark|x_marks|red_x|red_xs|xs|red_cross|tick_mark|tick|ticks|checkmark|check_mark|green_check|checklist|check_list|go_green|turn_green|turns_green|stay_red|stays_red|still_red', emit: 'strengthx' },
  { pattern: 'unique|taken|already_taken|already_in_use|already_exist|not_available|in_use|duplicate', emit: 'uniquex' },

  // --- email optional ----------------------------------------------------------------------------------------------
  { pattern: 'required|require|requir|mandatory|necessary|optional|compulsory|must|obligatory|have_to_have|need_to_have|need_to_provide|have_to_provide|have_to_give|need_to_give|need_an|do_i_need', emit: 'requiredx' },
  { pattern: 'provide|give|enter|add|adding|put|supply|include|list|type_in', emit: 'providex' },
  { pattern: 'verify|verified|verifying|verification|confirm|confirmed|confirmation|validate|validated', emit: 'verifyx' },

  // Someone else's records ("can I see my husband's account"): proxy access, which this FAQ does not cover.
  { pattern: 'see|view|access|look_at|check|manage|get_into|log_into|open|read ~ husband|wife|spouse|partner|mom|mother|dad|father|parent|parents|son|daughter|child|kid|kids|grandmother|grandfather|grandma|grandpa ~ account|records|record|chart|portal|information|info|messages|results', emit: 'proxyx' },
  // --- people ------------------------------------------------------------------------------------------------------
  { pattern: 'real_person|live_person|actual_person|real_human|live_agent|live_chat|human_being|customer_service|customer_support|tech_support|technical_support|help_desk|helpdesk|support_team|support_staff|person|human|staff|staff_member|representative|rep|agent|operator|employee|team_member|support|administrator|admin|manager|supervisor|humans|persons|live_support|real_people|live_help|real_help', emit: 'humanx' },
  // "someone" is only a person to talk to when the message asks for contact ("can someone call me"); in "how does
  // someone sign up" it is anybody.
  { pattern: 'someone|somebody|anyone|anybody ~ call|contact|talk|speak|there|available|reach|phone|get_back_to_me|answer_me', emit: 'humanx talkx' },
  { pattern: 'talk|speak|chat_with|connect|transfer_me|transfer_to|escalate|contact|reach|call|phone_call|get_hold|get_ahold|get_a_hold|hand_off|handoff|put_me_through', emit: 'talkx' },
  { pattern: 'front_desk|front_office|receptionist|reception|office|practice|clinic|doctor_office|doctors_office|medical_office|facility|center|centre|hospital', emit: 'officex' },

  // --- small intents -----------------------------------------------------------------------------------------------
  { pattern: 'how_old_are_you|how_old_r_you|whats_your_name|what_is_your_name|who_made_you|are_you_real|are_you_a_robot|are_you_human|do_you_like|how_is_your_day|hows_your_day', emit: 'chitchatx' },
  { pattern: 'hi|hello|hey|hiya|howdy|greeting|good_morning|good_afternoon|good_evening|good_day|morning|afternoon|evening|yo|sup|hola|heya|hi_there|hello_there', emit: 'greetx' },
  { pattern: 'what_should_i_ask|what_can_i_say|what_should_i_say|what_do_i_ask|what_do_i_say|what_can_i_type|how_do_i_use_this_chat|how_does_this_chat_work|what_is_this_chat|what_is_this_for|how_can_you_help|what_are_you_for|what_can_this_bot_do|what_does_this_bot_do|what_can_this_do|what_can_you_do|what_can_i_do_here|what_can_i_do_with_this|what_do_i_do_here|what_can_i_use_this_for|what_can_i_ask|what_do_you_do|what_do_you_help|what_can_you_help|what_are_my_option|what_are_the_option|what_option|what_kind_of_question|what_question|what_type_of_question|what_topic|how_doe_this_work|how_do_this_work|how_do_i_use_this|what_is_this|who_are_you|what_are_you|main_menu|menu|option|topic|command|choice|list_of', emit: 'helpmenux' },
  { pattern: 'cancel|stop|halt|terminate_chat', emit: 'cancelx' },

  // --- places and misc ------------------------------------------------------------------------------------------
  { pattern: 'where_is|where_are|wheres|how_do_i_get_to|directions_to|how_to_get_to|where_r ~ office|clinic|practice|you|you_located|located|building|hospital|location', emit: 'locationx' },
  { pattern: 'patient_portal|portal|mychart|nextgen|next_gen|nextmd|next_md|follow_my_health|healthow|patient_website|online_portal|patient_account|online', emit: 'portalx' },
  { pattern: 'link|button|url', emit: 'linkx' },
];

/**
 * Other services' accounts ("my facebook account is locked", "forgot my wifi password", "how do I reset my gmail
 * password"). These rules run *before* PHRASE_RULES, so the credential word that belongs to the other service is
 * consumed with it and cannot make the message look like a portal-login problem. The matcher treats `othersvcx`
 * as out of scope unless the message also names the portal or a credential of its own.
 */
const SERVICE =
  'facebook|instagram|netflix|hulu|spotify|amazon|ebay|paypal|venmo|zelle|cashapp|cash_app|twitter|tiktok|' +
  'snapchat|whatsapp|linkedin|xbox|playstation|psn|roblox|fortnite|uber|lyft|doordash|disney_plus|youtube|pinterest|' +
  'reddit|discord|skype|zoom_account|wifi|wi_fi|router|modem|apple_id|appleid|icloud|itunes|google_account|google_password|' +
  'google_login|microsoft_account|microsoft_password|windows|xfinity|comcast|verizon|tmobile|t_mobile|bank|banking|' +
  'credit_union|irs|dmv|social_security|login_gov|id_me|turbotax|laptop_password|computer_password|phone_passcode|' +
  'phone_password|voicemail';
export const FOREIGN_RULES: readonly PhraseRule[] = [
  // The mailbox's own password ("forgot my gmail password"): another service, and also a mailbox the patient can't open.
  // Only when the mailbox is owned ("my email password"): "no email password" in a terse message is "no email, password".
  // The mailbox provider's own account ("my yahoo account got hacked", "gmail password"): also a mailbox the patient can't open.
  { pattern: 'gmail|yahoo|hotmail|outlook|aol ~ password|pass_word|account|login|passcode', emit: 'othersvcx nomailbox' },
  { pattern: 'my|his|her|their|our|the email_password|email_pass_word|email_passcode|email_login|email_account_password|mail_password', emit: 'othersvcx nomailbox' },
  { pattern: 'password_for|pass_word_for|password_of|login_for|passcode_for email|email_account|mail', emit: 'othersvcx nomailbox' },
  { pattern: `${SERVICE} ~ password|pass_word|username|user_name|account|login|log_in|app|pin|passcode|profile|id`, emit: 'othersvcx' },
  { pattern: `password|pass_word|username|user_name|login|log_in|pin|passcode ${SERVICE}`, emit: 'othersvcx' },
  { pattern: SERVICE, emit: 'othersvcx' },
  // The device itself ("my phone is locked", "forgot my laptop passcode"), not the portal account on it.
  // Other health-care sites: "the pharmacy app won't let me log in", "my insurance website password".
  // Big platforms' own accounts ("my apple password", "google account"); the phone itself stays a device.
  { pattern: 'apple|google|microsoft|samsung|android ~ password|pass_word|account|login|username|id|passcode', emit: 'othersvcx' },
  { pattern: 'pharmacy|insurance|insurer|insurance_company|medicare|medicaid|cvs|walgreens|hospital ~ app|website|web_site|site|portal|account|login|log_in|password|username|user_name|online_account', emit: 'othersvcx' },
  { pattern: 'phone|iphone|cell|cell_phone|tablet|ipad|computer|laptop|screen|device|pc|mac|kindle ~ locked|lock|disabled|frozen|passcode|pin', emit: 'othersvcx' },
];

/**
 * Words that carry no topic. Negations ("not", "cant") are *not* here: "password not working" and "password
 * requirements" must differ. Matched after stemming, so list plain forms.
 */
export const STOP_WORDS: readonly string[] = (
  'a an the i me my mine myself you your yours we us our it its itself this that these those he she him her his ' +
  'they them their is am are was were be been being do does did doing done have has had having to of in on at ' +
  'for with by from up about into onto out as so and or but if then than just also please thank thanks ok ' +
  'can could would should will shall may might how what why when where which who whom whose there here some ' +
  'all get got getting go going goes went like well really very still again now yet already ever way try tried ' +
  'trying keep kept say said says let make made see seen saw use used using one thing something anything ' +
  'everything im ive id would want wanted need needed needs know knew help helping tell told able because ' +
  'since while though although yes yeah yep hmm um uh oh er lol haha sorry excuse hello hi hey actually basically ' +
  'literally maybe perhaps probably guess think thought seems seem wondering wonder question ask asking asked ' +
  'hoping hope trying told today yesterday morning week last year years month months ago time times long ' +
  'work working again back sure own kind sort bit lot lots much many more most any each every only even ' +
  'name daughter son wife husband mother mom dad father grandson granddaughter mum someone also there gave given ' +
  'handed sent send anymore bot chatbot ' +
  // Dates in a story ("I saw Dr Patel on March 3rd") say when, not what.
  'january february march april june july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec ' +
  // Negations only matter inside phrases ("not working", "no email"), which applyPhrases has already consumed.
  'not no dont doesnt didnt never wont isnt wasnt havent hasnt arent'
)
  .split(' ')
  .filter((w) => w.length > 0);

/**
 * Everyday words never "corrected" into KB words (so "look" is not read as "lock"). `NEAR_WORDS` (near-words.json)
 * adds every dictionary word that sits within typo distance of a KB word; regenerate it with
 * `npx tsx knowledge/tools/near-words.ts` after adding new vocabulary to the KB.
 */
export const COMMON_WORDS: readonly string[] = (
  'look looking looked like liked likes live lived lives lock book books cook took take taken takes give gave ' +
  'given hold held fill filled file filed mail mall bill fine find found line lines mine fund band hand land ' +
  'send sent sending sign signed signing sing song long lung came come comes coming care card cart case cash ' +
  'said sale same save safe seat sent seen self sell tell tall toll tool till will wall well wet went want ' +
  'wait waiting weight white while whole write wrote written word words world work worked worse worst ' +
  'name names game same came lame came made make male mile mind mine nine note notes noted vote voted ' +
  'open opened opens close closed closes near read ready real reel rest test tests text texts next nest ' +
  'best beat bear beer been bent boat body bone born both bought brought busy cause caught child children ' +
  'month week weeks year years day days hour hours minute minutes second seconds morning night today ' +
  'tomorrow yesterday always never sometimes often usually again already before after later soon since ' +
  'people person family friend friends husband wife mother father daughter son grandson granddaughter ' +
  'grandmother grandfather sister brother aunt uncle baby kids kid parent parents patient patients ' +
  'doctor doctors nurse nurses office clinic hospital pharmacy practice provider providers ' +
  'thing things stuff place places home house school work job money phone phones email emails address ' +
  'help helps helped please thank thanks sorry hello goodbye bye great good bad better nice okay fine ' +
  'about above across after again against along among around away back because been before behind below ' +
  'between both could does doing down during each either else enough every first from further have having ' +
  'here into just last least less little many maybe more most much must never only other others over ' +
  'right same should since some still such than that their them then there these they this those through ' +
  'under until upon very what when where whether which while with within without would your yours yourself ' +
  'called calling trying tried typed typing type click clicked clicking enter entered entering page pages ' +
  'screen screens button message messages says saying shows showing showed appear appears appeared ' +
  'keeps kept happen happened happens working works worked getting started start starting stopped ' +
  'figure figured figuring understand understood confused confusing frustrated annoying annoyed ' +
  'married moved moving changed changes lost losing forgot remember computer laptop internet ' +
  'receive received getting letter letters paper papers visit visits visited seeing since while anymore ' +
  'luck lucky anyway anyhow somehow someday somewhere everywhere nowhere nothing none'
)
  .split(' ')
  .filter((w) => w.length > 0);

