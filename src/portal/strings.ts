/**
 * @module portal/strings
 * Every text a guest sees on the captive portal, in each language the portal speaks, and the
 * choice of language from the browser's Accept-Language. Pure: no I/O, no Intl (OpenWrt's Node
 * may be built without ICU).
 *
 * Templates hold two kinds of placeholders:
 * - `{name}`: replaced by `vars.name` (left as it is when the caller gives no such value, so a
 *   missing value shows up in tests rather than as an empty gap).
 * - `{name:one|other}`: the singular or plural word for the number `vars.name` (English, German,
 *   Spanish, Italian, Dutch: "one" for exactly 1; French and Portuguese: "one" for 0 to 1.x).
 *
 * Refusal messages (the snake_case keys, named after the reasons the portal refuses a login) say
 * what happened and what the guest can do, in the words of a café, not of a router. The texts are
 * plain text: the page renderer escapes them and the values put into them.
 *
 * Languages besides English are written by hand for this portal; each uses one register
 * throughout (German, French, Spanish, Dutch formal; Italian informal, Portuguese as in Brazil).
 */

import type { PortalRefusal } from './login'

/** A language of the portal. English is the fallback. */
export type Lang = 'en' | 'de' | 'fr' | 'es' | 'it' | 'nl' | 'pt'

/** Every language, English first (the wildcard `*` picks the first one the browser did not refuse). */
export const LANGS: readonly Lang[] = Object.freeze(['en', 'de', 'fr', 'es', 'it', 'nl', 'pt'] as const)

/** The key of a portal text. */
export type StringKey =
  // page texts
  | 'title'
  | 'welcome'
  | 'voucherHeading'
  | 'username'
  | 'passcode'
  | 'connect'
  | 'emailHeading'
  | 'email'
  | 'marketing'
  | 'freeHeading'
  | 'freeButton'
  | 'terms'
  | 'connected'
  | 'connectedFor'
  | 'continue'
  | 'alreadyConnected'
  | 'mobileHeading'
  | 'phone'
  | 'sendCode'
  | 'codeSent'
  | 'smsCode'
  | 'newCode'
  | 'facebookHeading'
  | 'facebookButton'
  | 'smsText'
  | 'days'
  | 'hours'
  | 'minutes'
  // every reason the login service refuses a sign-in, so a new one cannot go without its text
  | PortalRefusal
  // other messages
  | 'terms_required'
  | 'sessionExpired'
  | 'privateAddressHint'

type Table = Readonly<Record<StringKey, string>>

const en: Table = {
  title: 'Wi-Fi login',
  welcome: 'Welcome to {name}',
  voucherHeading: 'I have a voucher',
  username: 'Username',
  passcode: 'Passcode',
  connect: 'Connect',
  emailHeading: 'Connect with your e-mail address',
  email: 'E-mail address',
  marketing: 'Yes, send me news and offers by e-mail. (Optional; you can unsubscribe at any time.)',
  freeHeading: 'Free Wi-Fi',
  freeButton: 'Connect for free',
  terms: 'I agree to use this Wi-Fi fairly and lawfully.',
  connected: 'You are connected',
  connectedFor: 'Your access is valid for {duration}.',
  continue: 'Continue',
  alreadyConnected: 'You are already connected',
  days: '{n} {n:day|days}',
  hours: '{n} {n:hour|hours}',
  minutes: '{n} {n:minute|minutes}',
  method_off: 'This way of connecting is not available right now. Please choose another one or ask at the counter.',
  wrong_credentials: 'The username or passcode is not right. Please check your voucher and try again.',
  bad_email: 'Please enter a valid e-mail address, for example name@example.com.',
  terms_required: 'Please tick the box to accept the terms, then try again.',
  too_many_attempts: 'Too many attempts. Please wait {minutes} {minutes:minute|minutes} and try again.',
  not_yet_valid: 'This voucher is not valid yet. It starts on {date}.',
  expired: 'This voucher has expired. Please ask at the counter for a new one.',
  download_exhausted: 'This voucher has used up its download allowance. Please ask at the counter for a new one.',
  upload_exhausted: 'This voucher has used up its upload allowance. Please ask at the counter for a new one.',
  other_device: 'This voucher is already in use on another device. Please ask at the counter for help.',
  clock_unset: "The router's clock is not set yet. Please try again in a minute.",
  already_connected: 'This device is already connected. You can close this page.',
  portal_unavailable: 'Sorry, the Wi-Fi login is not available right now. Please try again in a few minutes or ask at the counter.',
  mobileHeading: 'Connect with your mobile number',
  phone: 'Mobile number',
  sendCode: 'Send me a code',
  codeSent: 'We sent a code by text message to {phone}. Please enter it below.',
  smsCode: 'Code from the text message',
  newCode: 'Send a new code',
  facebookHeading: 'Connect with Facebook',
  facebookButton: 'Continue with Facebook',
  smsText: '{code} is your Wi-Fi code. It is valid for 10 minutes.',
  bad_phone: 'Please enter your mobile number with its country code, for example +44 7700 900123.',
  wrong_code: 'That code is not right. Please check the text message and try again.',
  code_expired: 'This code is no longer valid. Please ask for a new one.',
  otp_wait: 'We have just sent you a code. Please wait {seconds} {seconds:second|seconds} before asking for another one.',
  too_many_codes: 'Too many codes were asked for. Please wait {minutes} {minutes:minute|minutes} or choose another way to connect.',
  sms_failed: 'Sorry, we could not send the text message right now. Please try again later or choose another way to connect.',
  facebook_failed: 'Connecting with Facebook did not work. Please try again or choose another way to connect.',
  sessionExpired: 'This login page has expired. Please reconnect to the Wi-Fi or open any web page to start again.',
  privateAddressHint:
    'Your voucher is tied to this device. If your phone changes its Wi-Fi address (iPhone: Private Wi-Fi Address set to Rotating; Android: non-persistent randomized MAC), choose a fixed address for this network.',
}

const de: Table = {
  title: 'WLAN-Anmeldung',
  welcome: 'Willkommen bei {name}',
  voucherHeading: 'Ich habe einen Gutschein',
  username: 'Benutzername',
  passcode: 'Zugangscode',
  connect: 'Verbinden',
  emailHeading: 'Mit Ihrer E-Mail-Adresse verbinden',
  email: 'E-Mail-Adresse',
  marketing: 'Ja, senden Sie mir Neuigkeiten und Angebote per E-Mail. (Freiwillig; Sie können sich jederzeit abmelden.)',
  freeHeading: 'Kostenloses WLAN',
  freeButton: 'Kostenlos verbinden',
  terms: 'Ich stimme zu, dieses WLAN fair und rechtmäßig zu nutzen.',
  connected: 'Sie sind verbunden',
  connectedFor: 'Ihr Zugang gilt für {duration}.',
  continue: 'Weiter',
  alreadyConnected: 'Sie sind bereits verbunden',
  days: '{n} {n:Tag|Tage}',
  hours: '{n} {n:Stunde|Stunden}',
  minutes: '{n} {n:Minute|Minuten}',
  method_off: 'Diese Anmeldeart ist gerade nicht verfügbar. Bitte wählen Sie eine andere oder wenden Sie sich an das Personal.',
  wrong_credentials: 'Benutzername oder Zugangscode stimmen nicht. Bitte prüfen Sie Ihren Gutschein und versuchen Sie es erneut.',
  bad_email: 'Bitte geben Sie eine gültige E-Mail-Adresse ein, zum Beispiel name@example.com.',
  terms_required: 'Bitte setzen Sie das Häkchen, um den Bedingungen zuzustimmen, und versuchen Sie es erneut.',
  too_many_attempts: 'Zu viele Versuche. Bitte warten Sie {minutes} {minutes:Minute|Minuten} und versuchen Sie es dann erneut.',
  not_yet_valid: 'Dieser Gutschein ist noch nicht gültig. Er gilt ab {date}.',
  expired: 'Dieser Gutschein ist abgelaufen. Bitte fragen Sie beim Personal nach einem neuen.',
  download_exhausted: 'Das Download-Volumen dieses Gutscheins ist aufgebraucht. Bitte fragen Sie beim Personal nach einem neuen.',
  upload_exhausted: 'Das Upload-Volumen dieses Gutscheins ist aufgebraucht. Bitte fragen Sie beim Personal nach einem neuen.',
  other_device: 'Dieser Gutschein wird bereits auf einem anderen Gerät verwendet. Bitte wenden Sie sich an das Personal.',
  clock_unset: 'Die Uhr des Routers ist noch nicht gestellt. Bitte versuchen Sie es in einer Minute erneut.',
  already_connected: 'Dieses Gerät ist bereits verbunden. Sie können diese Seite schließen.',
  portal_unavailable:
    'Die WLAN-Anmeldung ist leider gerade nicht verfügbar. Bitte versuchen Sie es in ein paar Minuten erneut oder wenden Sie sich an das Personal.',
  mobileHeading: 'Mit Ihrer Handynummer verbinden',
  phone: 'Handynummer',
  sendCode: 'Code senden',
  codeSent: 'Wir haben Ihnen per SMS einen Code an {phone} gesendet. Bitte geben Sie ihn unten ein.',
  smsCode: 'Code aus der SMS',
  newCode: 'Neuen Code senden',
  facebookHeading: 'Mit Facebook verbinden',
  facebookButton: 'Weiter mit Facebook',
  smsText: '{code} ist Ihr WLAN-Code. Er ist 10 Minuten gültig.',
  bad_phone: 'Bitte geben Sie Ihre Handynummer mit Ländervorwahl ein, zum Beispiel +49 151 23456789.',
  wrong_code: 'Dieser Code stimmt nicht. Bitte prüfen Sie die SMS und versuchen Sie es erneut.',
  code_expired: 'Dieser Code ist nicht mehr gültig. Bitte fordern Sie einen neuen an.',
  otp_wait: 'Wir haben Ihnen gerade einen Code gesendet. Bitte warten Sie {seconds} {seconds:Sekunde|Sekunden}, bevor Sie einen neuen anfordern.',
  too_many_codes: 'Es wurden zu viele Codes angefordert. Bitte warten Sie {minutes} {minutes:Minute|Minuten} oder wählen Sie eine andere Anmeldung.',
  sms_failed: 'Die SMS konnte gerade nicht gesendet werden. Bitte versuchen Sie es später erneut oder wählen Sie eine andere Anmeldung.',
  facebook_failed: 'Die Anmeldung mit Facebook hat nicht geklappt. Bitte versuchen Sie es erneut oder wählen Sie eine andere Anmeldung.',
  sessionExpired:
    'Diese Anmeldeseite ist abgelaufen. Bitte verbinden Sie sich erneut mit dem WLAN oder öffnen Sie eine beliebige Webseite, um neu zu beginnen.',
  privateAddressHint:
    'Ihr Gutschein ist an dieses Gerät gebunden. Wenn Ihr Telefon eine wechselnde private WLAN-Adresse verwendet, stellen Sie für dieses Netzwerk eine feste Adresse ein (iPhone: Private WLAN-Adresse; Android: MAC-Adresse).',
}

const fr: Table = {
  title: 'Connexion Wi-Fi',
  welcome: 'Bienvenue chez {name}',
  voucherHeading: 'J’ai un ticket',
  username: 'Nom d’utilisateur',
  passcode: 'Code d’accès',
  connect: 'Se connecter',
  emailHeading: 'Se connecter avec votre adresse e-mail',
  email: 'Adresse e-mail',
  marketing: 'Oui, envoyez-moi des nouvelles et des offres par e-mail. (Facultatif, désinscription possible à tout moment.)',
  freeHeading: 'Wi-Fi gratuit',
  freeButton: 'Se connecter gratuitement',
  terms: 'J’accepte d’utiliser ce Wi-Fi de façon responsable et légale.',
  connected: 'Vous êtes en ligne',
  connectedFor: 'Votre accès est valable pendant {duration}.',
  continue: 'Continuer',
  alreadyConnected: 'Cet appareil est déjà connecté',
  days: '{n} {n:jour|jours}',
  hours: '{n} {n:heure|heures}',
  minutes: '{n} {n:minute|minutes}',
  method_off: 'Ce mode de connexion n’est pas disponible pour le moment. Veuillez en choisir un autre ou vous adresser au personnel.',
  wrong_credentials: 'Le nom d’utilisateur ou le code d’accès est incorrect. Veuillez vérifier votre ticket et réessayer.',
  bad_email: 'Veuillez saisir une adresse e-mail valide, par exemple nom@example.com.',
  terms_required: 'Veuillez cocher la case pour accepter les conditions, puis réessayer.',
  too_many_attempts: 'Trop de tentatives. Veuillez patienter {minutes} {minutes:minute|minutes} avant de réessayer.',
  not_yet_valid: 'Ce ticket n’est pas encore valable. Il le sera à partir du {date}.',
  expired: 'Ce ticket a expiré. Veuillez demander un nouveau ticket au personnel.',
  download_exhausted: 'Le volume de téléchargement de ce ticket est épuisé. Veuillez demander un nouveau ticket au personnel.',
  upload_exhausted: 'Le volume d’envoi de ce ticket est épuisé. Veuillez demander un nouveau ticket au personnel.',
  other_device: 'Ce ticket est déjà utilisé sur un autre appareil. Veuillez vous adresser au personnel.',
  clock_unset: 'L’horloge du routeur n’est pas encore réglée. Veuillez réessayer dans une minute.',
  already_connected: 'Cet appareil est déjà connecté. Vous pouvez fermer cette page.',
  portal_unavailable:
    'Désolé, la connexion Wi-Fi n’est pas disponible pour le moment. Veuillez réessayer dans quelques minutes ou vous adresser au personnel.',
  mobileHeading: 'Se connecter avec votre numéro de mobile',
  phone: 'Numéro de mobile',
  sendCode: 'Recevoir un code',
  codeSent: 'Nous avons envoyé un code par SMS au {phone}. Veuillez le saisir ci-dessous.',
  smsCode: 'Code reçu par SMS',
  newCode: 'Envoyer un nouveau code',
  facebookHeading: 'Se connecter avec Facebook',
  facebookButton: 'Continuer avec Facebook',
  smsText: '{code} est votre code Wi-Fi. Il est valable 10 minutes.',
  bad_phone: 'Veuillez saisir votre numéro de mobile avec l’indicatif du pays, par exemple +33 6 12 34 56 78.',
  wrong_code: 'Ce code n’est pas correct. Veuillez vérifier le SMS et réessayer.',
  code_expired: 'Ce code n’est plus valable. Veuillez en demander un nouveau.',
  otp_wait: 'Nous venons de vous envoyer un code. Veuillez patienter {seconds} {seconds:seconde|secondes} avant d’en demander un autre.',
  too_many_codes: 'Trop de codes ont été demandés. Veuillez patienter {minutes} {minutes:minute|minutes} ou choisir une autre façon de vous connecter.',
  sms_failed: 'Désolé, le SMS n’a pas pu être envoyé pour le moment. Veuillez réessayer plus tard ou choisir une autre façon de vous connecter.',
  facebook_failed: 'La connexion avec Facebook n’a pas abouti. Veuillez réessayer ou choisir une autre façon de vous connecter.',
  sessionExpired:
    'Cette page de connexion a expiré. Reconnectez-vous au Wi-Fi ou ouvrez n’importe quelle page web pour recommencer.',
  privateAddressHint:
    'Votre ticket est lié à cet appareil. Si votre téléphone utilise une adresse Wi-Fi privée qui change, choisissez une adresse fixe pour ce réseau (iPhone : adresse Wi-Fi privée ; Android : adresse MAC).',
}

const es: Table = {
  title: 'Acceso Wi-Fi',
  welcome: 'Bienvenidos a {name}',
  voucherHeading: 'Tengo un ticket',
  username: 'Usuario',
  passcode: 'Código de acceso',
  connect: 'Conectar',
  emailHeading: 'Conectar con su correo electrónico',
  email: 'Correo electrónico',
  marketing: 'Sí, envíenme novedades y ofertas por correo electrónico. (Opcional; puede darse de baja en cualquier momento.)',
  freeHeading: 'Wi-Fi gratis',
  freeButton: 'Conectar gratis',
  terms: 'Acepto usar este Wi-Fi de forma responsable y legal.',
  connected: 'Conexión establecida',
  connectedFor: 'Su acceso es válido durante {duration}.',
  continue: 'Continuar',
  alreadyConnected: 'Este dispositivo ya está conectado',
  days: '{n} {n:día|días}',
  hours: '{n} {n:hora|horas}',
  minutes: '{n} {n:minuto|minutos}',
  method_off: 'Esta forma de conexión no está disponible en este momento. Elija otra o pregunte al personal.',
  wrong_credentials: 'El usuario o el código de acceso no son correctos. Revise su ticket e inténtelo de nuevo.',
  bad_email: 'Introduzca una dirección de correo electrónico válida, por ejemplo nombre@example.com.',
  terms_required: 'Marque la casilla para aceptar las condiciones e inténtelo de nuevo.',
  too_many_attempts: 'Demasiados intentos. Espere {minutes} {minutes:minuto|minutos} e inténtelo de nuevo.',
  not_yet_valid: 'Este ticket aún no es válido. Será válido a partir del {date}.',
  expired: 'Este ticket ha caducado. Pida uno nuevo al personal.',
  download_exhausted: 'Este ticket ha agotado su volumen de descarga. Pida uno nuevo al personal.',
  upload_exhausted: 'Este ticket ha agotado su volumen de subida. Pida uno nuevo al personal.',
  other_device: 'Este ticket ya se está usando en otro dispositivo. Pida ayuda al personal.',
  clock_unset: 'El reloj del router aún no está en hora. Inténtelo de nuevo en un minuto.',
  already_connected: 'Este dispositivo ya está conectado. Puede cerrar esta página.',
  portal_unavailable:
    'Lo sentimos, el acceso Wi-Fi no está disponible en este momento. Inténtelo de nuevo en unos minutos o pregunte al personal.',
  mobileHeading: 'Conectarse con su número de móvil',
  phone: 'Número de móvil',
  sendCode: 'Enviarme un código',
  codeSent: 'Le hemos enviado un código por SMS al {phone}. Introdúzcalo a continuación.',
  smsCode: 'Código del SMS',
  newCode: 'Enviar un código nuevo',
  facebookHeading: 'Conectarse con Facebook',
  facebookButton: 'Continuar con Facebook',
  smsText: '{code} es su código wifi. Es válido durante 10 minutos.',
  bad_phone: 'Introduzca su número de móvil con el prefijo del país, por ejemplo +34 612 34 56 78.',
  wrong_code: 'Ese código no es correcto. Revise el SMS e inténtelo de nuevo.',
  code_expired: 'Este código ya no es válido. Solicite uno nuevo.',
  otp_wait: 'Le acabamos de enviar un código. Espere {seconds} {seconds:segundo|segundos} antes de pedir otro.',
  too_many_codes: 'Se han pedido demasiados códigos. Espere {minutes} {minutes:minuto|minutos} o elija otra forma de conectarse.',
  sms_failed: 'Lo sentimos, ahora no se ha podido enviar el SMS. Inténtelo más tarde o elija otra forma de conectarse.',
  facebook_failed: 'La conexión con Facebook no ha funcionado. Inténtelo de nuevo o elija otra forma de conectarse.',
  sessionExpired:
    'Esta página de acceso ha caducado. Vuelva a conectarse al Wi-Fi o abra cualquier página web para empezar de nuevo.',
  privateAddressHint:
    'Su ticket está vinculado a este dispositivo. Si su teléfono usa una dirección Wi-Fi privada que cambia, elija una dirección fija para esta red (iPhone: dirección Wi-Fi privada; Android: dirección MAC).',
}

const it: Table = {
  title: 'Accesso Wi-Fi',
  welcome: 'Benvenuti da {name}',
  voucherHeading: 'Ho un voucher',
  username: 'Nome utente',
  passcode: 'Codice di accesso',
  connect: 'Connettiti',
  emailHeading: 'Connettiti con il tuo indirizzo e-mail',
  email: 'Indirizzo e-mail',
  marketing: 'Sì, inviami novità e offerte via e-mail. (Facoltativo; puoi annullare l’iscrizione in qualsiasi momento.)',
  freeHeading: 'Wi-Fi gratuito',
  freeButton: 'Connettiti gratis',
  terms: 'Accetto di usare questo Wi-Fi in modo corretto e legale.',
  connected: 'Connessione riuscita',
  connectedFor: 'Il tuo accesso è valido per {duration}.',
  continue: 'Continua',
  alreadyConnected: 'Questo dispositivo è già connesso',
  days: '{n} {n:giorno|giorni}',
  hours: '{n} {n:ora|ore}',
  minutes: '{n} {n:minuto|minuti}',
  method_off: 'Questo metodo di accesso non è disponibile al momento. Scegline un altro o chiedi al personale.',
  wrong_credentials: 'Nome utente o codice di accesso non corretti. Controlla il tuo voucher e riprova.',
  bad_email: 'Inserisci un indirizzo e-mail valido, ad esempio nome@example.com.',
  terms_required: 'Spunta la casella per accettare le condizioni, poi riprova.',
  too_many_attempts: 'Troppi tentativi. Attendi {minutes} {minutes:minuto|minuti} e riprova.',
  not_yet_valid: 'Questo voucher non è ancora valido. Sarà valido dal {date}.',
  expired: 'Questo voucher è scaduto. Chiedine uno nuovo al personale.',
  download_exhausted: 'Questo voucher ha esaurito il traffico in download. Chiedine uno nuovo al personale.',
  upload_exhausted: 'Questo voucher ha esaurito il traffico in upload. Chiedine uno nuovo al personale.',
  other_device: 'Questo voucher è già in uso su un altro dispositivo. Chiedi aiuto al personale.',
  clock_unset: 'L’orologio del router non è ancora impostato. Riprova tra un minuto.',
  already_connected: 'Questo dispositivo è già connesso. Puoi chiudere questa pagina.',
  portal_unavailable: 'Spiacenti, l’accesso Wi-Fi non è disponibile al momento. Riprova tra qualche minuto o chiedi al personale.',
  mobileHeading: 'Connettiti con il tuo numero di cellulare',
  phone: 'Numero di cellulare',
  sendCode: 'Inviami un codice',
  codeSent: 'Ti abbiamo inviato un codice via SMS al {phone}. Inseriscilo qui sotto.',
  smsCode: 'Codice ricevuto via SMS',
  newCode: 'Invia un nuovo codice',
  facebookHeading: 'Connettiti con Facebook',
  facebookButton: 'Continua con Facebook',
  smsText: '{code} è il tuo codice Wi-Fi. È valido per 10 minuti.',
  bad_phone: 'Inserisci il tuo numero di cellulare con il prefisso internazionale, per esempio +39 312 345 6789.',
  wrong_code: 'Il codice non è corretto. Controlla l’SMS e riprova.',
  code_expired: 'Questo codice non è più valido. Richiedine uno nuovo.',
  otp_wait: 'Ti abbiamo appena inviato un codice. Attendi {seconds} {seconds:secondo|secondi} prima di chiederne un altro.',
  too_many_codes: 'Sono stati richiesti troppi codici. Attendi {minutes} {minutes:minuto|minuti} o scegli un altro modo per connetterti.',
  sms_failed: 'Spiacenti, al momento non è stato possibile inviare l’SMS. Riprova più tardi o scegli un altro modo per connetterti.',
  facebook_failed: 'La connessione con Facebook non è riuscita. Riprova o scegli un altro modo per connetterti.',
  sessionExpired: 'Questa pagina di accesso è scaduta. Riconnettiti al Wi-Fi o apri una pagina web qualsiasi per ricominciare.',
  privateAddressHint:
    'Il tuo voucher è legato a questo dispositivo. Se il telefono usa un indirizzo Wi-Fi privato che cambia, imposta un indirizzo fisso per questa rete (iPhone: indirizzo Wi-Fi privato; Android: indirizzo MAC).',
}

const nl: Table = {
  title: 'Inloggen op wifi',
  welcome: 'Welkom bij {name}',
  voucherHeading: 'Ik heb een voucher',
  username: 'Gebruikersnaam',
  passcode: 'Toegangscode',
  connect: 'Verbinden',
  emailHeading: 'Verbinden met uw e-mailadres',
  email: 'E-mailadres',
  marketing: 'Ja, stuur mij nieuws en aanbiedingen per e-mail. (Optioneel; u kunt zich altijd weer afmelden.)',
  freeHeading: 'Gratis wifi',
  freeButton: 'Gratis verbinden',
  terms: 'Ik ga akkoord met eerlijk en legaal gebruik van deze wifi.',
  connected: 'U bent verbonden',
  connectedFor: 'Uw toegang is {duration} geldig.',
  continue: 'Doorgaan',
  alreadyConnected: 'U bent al verbonden',
  days: '{n} {n:dag|dagen}',
  hours: '{n} {n:uur|uur}',
  minutes: '{n} {n:minuut|minuten}',
  method_off: 'Deze manier van verbinden is nu niet beschikbaar. Kies een andere of vraag het aan het personeel.',
  wrong_credentials: 'De gebruikersnaam of toegangscode klopt niet. Controleer uw voucher en probeer het opnieuw.',
  bad_email: 'Vul een geldig e-mailadres in, bijvoorbeeld naam@example.com.',
  terms_required: 'Vink het vakje aan om akkoord te gaan en probeer het opnieuw.',
  too_many_attempts: 'Te veel pogingen. Wacht {minutes} {minutes:minuut|minuten} en probeer het opnieuw.',
  not_yet_valid: 'Deze voucher is nog niet geldig. Hij is geldig vanaf {date}.',
  expired: 'Deze voucher is verlopen. Vraag het personeel om een nieuwe.',
  download_exhausted: 'Het downloadtegoed van deze voucher is op. Vraag het personeel om een nieuwe.',
  upload_exhausted: 'Het uploadtegoed van deze voucher is op. Vraag het personeel om een nieuwe.',
  other_device: 'Deze voucher wordt al op een ander apparaat gebruikt. Vraag het personeel om hulp.',
  clock_unset: 'De klok van de router is nog niet ingesteld. Probeer het over een minuut opnieuw.',
  already_connected: 'Dit apparaat is al verbonden. U kunt deze pagina sluiten.',
  portal_unavailable: 'Sorry, inloggen op de wifi is nu niet mogelijk. Probeer het over een paar minuten opnieuw of vraag het aan het personeel.',
  mobileHeading: 'Verbinden met uw mobiele nummer',
  phone: 'Mobiel nummer',
  sendCode: 'Stuur mij een code',
  codeSent: 'We hebben per sms een code naar {phone} gestuurd. Vul deze hieronder in.',
  smsCode: 'Code uit de sms',
  newCode: 'Stuur een nieuwe code',
  facebookHeading: 'Verbinden met Facebook',
  facebookButton: 'Doorgaan met Facebook',
  smsText: '{code} is uw wifi-code. Deze is 10 minuten geldig.',
  bad_phone: 'Vul uw mobiele nummer in met landnummer, bijvoorbeeld +31 6 12345678.',
  wrong_code: 'Die code klopt niet. Controleer de sms en probeer het opnieuw.',
  code_expired: 'Deze code is niet meer geldig. Vraag een nieuwe aan.',
  otp_wait: 'We hebben u net een code gestuurd. Wacht {seconds} {seconds:seconde|seconden} voordat u een nieuwe aanvraagt.',
  too_many_codes: 'Er zijn te veel codes aangevraagd. Wacht {minutes} {minutes:minuut|minuten} of kies een andere manier om te verbinden.',
  sms_failed: 'Sorry, de sms kon nu niet worden verstuurd. Probeer het later opnieuw of kies een andere manier om te verbinden.',
  facebook_failed: 'Verbinden met Facebook is niet gelukt. Probeer het opnieuw of kies een andere manier om te verbinden.',
  sessionExpired:
    'Deze inlogpagina is verlopen. Maak opnieuw verbinding met de wifi of open een willekeurige webpagina om opnieuw te beginnen.',
  privateAddressHint:
    'Uw voucher is gekoppeld aan dit apparaat. Gebruikt uw telefoon een wisselend privé-wifi-adres, stel dan voor dit netwerk een vast adres in (iPhone: privé-wifi-adres; Android: MAC-adres).',
}

const pt: Table = {
  title: 'Acesso Wi-Fi',
  welcome: 'Bem-vindos a {name}',
  voucherHeading: 'Tenho um voucher',
  username: 'Usuário',
  passcode: 'Código de acesso',
  connect: 'Conectar',
  emailHeading: 'Conectar com seu e-mail',
  email: 'Endereço de e-mail',
  marketing: 'Sim, quero receber novidades e ofertas por e-mail. (Opcional; você pode cancelar a inscrição a qualquer momento.)',
  freeHeading: 'Wi-Fi grátis',
  freeButton: 'Conectar grátis',
  terms: 'Concordo em usar este Wi-Fi de forma responsável e legal.',
  connected: 'Conexão estabelecida',
  connectedFor: 'Seu acesso é válido por {duration}.',
  continue: 'Continuar',
  alreadyConnected: 'Este dispositivo já está conectado',
  days: '{n} {n:dia|dias}',
  hours: '{n} {n:hora|horas}',
  minutes: '{n} {n:minuto|minutos}',
  method_off: 'Esta forma de conexão não está disponível no momento. Escolha outra ou fale com a equipe.',
  wrong_credentials: 'O usuário ou o código de acesso não está correto. Confira seu voucher e tente novamente.',
  bad_email: 'Digite um endereço de e-mail válido, por exemplo nome@example.com.',
  terms_required: 'Marque a caixa para aceitar os termos e tente novamente.',
  too_many_attempts: 'Muitas tentativas. Aguarde {minutes} {minutes:minuto|minutos} e tente novamente.',
  not_yet_valid: 'Este voucher ainda não é válido. Ele começa a valer em {date}.',
  expired: 'Este voucher expirou. Peça um novo à equipe.',
  download_exhausted: 'Este voucher esgotou o limite de download. Peça um novo à equipe.',
  upload_exhausted: 'Este voucher esgotou o limite de upload. Peça um novo à equipe.',
  other_device: 'Este voucher já está em uso em outro dispositivo. Peça ajuda à equipe.',
  clock_unset: 'O relógio do roteador ainda não foi ajustado. Tente novamente em um minuto.',
  already_connected: 'Este dispositivo já está conectado. Você pode fechar esta página.',
  portal_unavailable: 'Desculpe, o acesso Wi-Fi não está disponível no momento. Tente novamente em alguns minutos ou fale com a equipe.',
  mobileHeading: 'Conectar com seu número de celular',
  phone: 'Número de celular',
  sendCode: 'Enviar um código',
  codeSent: 'Enviamos um código por SMS para {phone}. Digite-o abaixo.',
  smsCode: 'Código do SMS',
  newCode: 'Enviar um novo código',
  facebookHeading: 'Conectar com o Facebook',
  facebookButton: 'Continuar com o Facebook',
  smsText: '{code} é o seu código de Wi-Fi. Ele vale por 10 minutos.',
  bad_phone: 'Digite seu número de celular com o código do país, por exemplo +55 11 91234-5678.',
  wrong_code: 'Esse código não está correto. Confira o SMS e tente novamente.',
  code_expired: 'Este código não é mais válido. Peça um novo.',
  otp_wait: 'Acabamos de enviar um código. Aguarde {seconds} {seconds:segundo|segundos} antes de pedir outro.',
  too_many_codes: 'Foram pedidos códigos demais. Aguarde {minutes} {minutes:minuto|minutos} ou escolha outra forma de se conectar.',
  sms_failed: 'Desculpe, não foi possível enviar o SMS agora. Tente mais tarde ou escolha outra forma de se conectar.',
  facebook_failed: 'A conexão com o Facebook não deu certo. Tente novamente ou escolha outra forma de se conectar.',
  sessionExpired: 'Esta página de acesso expirou. Conecte-se novamente ao Wi-Fi ou abra qualquer página da web para recomeçar.',
  privateAddressHint:
    'Seu voucher está vinculado a este dispositivo. Se o seu celular usa um endereço Wi-Fi privado que muda, escolha um endereço fixo para esta rede (iPhone: endereço Wi-Fi privado; Android: endereço MAC).',
}

const freezeAll = (tables: Record<Lang, Table>): Readonly<Record<Lang, Table>> => {
  for (const lang of LANGS) Object.freeze(tables[lang])
  return Object.freeze(tables)
}

/** Every portal text by language and key (frozen). Use {@link t} to fill placeholders. */
export const STRINGS: Readonly<Record<Lang, Readonly<Record<StringKey, string>>>> = freezeAll({ en, de, fr, es, it, nl, pt })

/** `{name}` or `{name:one|other}`. */
const PLACEHOLDER = /\{(\w+)(?::([^{}|]*)\|([^{}|]*))?\}/g
/** A language range of RFC 4647 (`de`, `de-AT`, `zh-Hant-TW`) or the wildcard. */
const RANGE = /^(?:[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)$/
/** A weight of RFC 7231: `q=` then 0 to 1 with at most three decimals. */
const WEIGHT = /^q=(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/i
/** Ranges read from one Accept-Language header; browsers send a handful. */
const MAX_RANGES = 32

const isLang = (s: string): s is Lang => (LANGS as readonly string[]).includes(s)

/** Whether `n` takes the singular in `lang` (CLDR "one" for integers and their decimals). */
const isOne = (lang: Lang, n: number): boolean => (lang === 'fr' || lang === 'pt' ? n >= 0 && n < 2 : n === 1)

/**
 * The language to answer in for an Accept-Language header: the supported language with the
 * highest weight (RFC 7231 q-values; equal weights keep the header's order), a region or script
 * subtag falling back to its language (`de-AT` → `de`, `pt-BR` → `pt`), `*` meaning the first
 * language (English first) not refused with `q=0`. Malformed ranges and weights are skipped;
 * nothing usable gives English.
 */
export const pickLang = (acceptLanguage: string | undefined): Lang => {
  if (acceptLanguage === undefined) return 'en'
  const ranges: Array<{ range: string; q: number }> = []
  for (const part of acceptLanguage.split(',').slice(0, MAX_RANGES)) {
    const [range, ...params] = part.split(';').map((s) => s.trim())
    if (!RANGE.test(range)) continue
    const weight = params.find((p) => /^q=/i.test(p))
    if (weight !== undefined && !WEIGHT.test(weight)) continue
    ranges.push({ range: range.toLowerCase(), q: weight === undefined ? 1 : Number(weight.slice(2)) })
  }
  const refused = new Set(ranges.filter((r) => r.q === 0).map((r) => r.range))
  // Array.prototype.sort is stable: equal weights keep the header's order.
  for (const { range } of ranges.filter((r) => r.q > 0).sort((a, b) => b.q - a.q)) {
    if (range === '*') return LANGS.find((l) => !refused.has(l)) ?? 'en'
    const primary = range.split('-')[0] as string
    if (isLang(primary)) return primary
  }
  return 'en'
}

/**
 * The text `key` in `lang` with its placeholders filled from `vars`: `{name}` by the value,
 * `{name:one|other}` by the singular or plural word for the number. Plain text: escape it for HTML.
 */
export const t = (lang: Lang, key: StringKey, vars?: Record<string, string | number>): string =>
  STRINGS[lang][key].replace(PLACEHOLDER, (whole, name: string, one: string | undefined, other: string) => {
    const value = vars !== undefined && Object.hasOwn(vars, name) ? vars[name] : undefined
    if (one !== undefined) return isOne(lang, Number(value)) ? one : other
    return value === undefined ? whole : String(value)
  })

/**
 * A number of minutes in words, at most its two largest units: "1 day", "2 hours 30 minutes",
 * "1 day 5 minutes" (seconds and smaller remainders are dropped; anything under a minute is
 * "1 minute"). For texts like `connectedFor`'s `{duration}`.
 */
export const formatDuration = (lang: Lang, minutes: number): string => {
  const total = Math.max(1, Math.round(minutes))
  const units: Array<[number, StringKey]> = [
    [Math.floor(total / 1440), 'days'],
    [Math.floor((total % 1440) / 60), 'hours'],
    [total % 60, 'minutes'],
  ]
  return units
    .filter(([n]) => n > 0)
    .slice(0, 2)
    .map(([n, key]) => t(lang, key, { n }))
    .join(' ')
}
